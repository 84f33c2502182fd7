/** Deliveries signed by hookstream's signer, and the verdict every receiver implementation must give. */
import { signatureHeader } from '../../../src/core/signing.js';

const NOW = 1_767_268_800;
const OLD = 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ=';
const NEW = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ=';
const BODY = JSON.stringify({
  event_id: 'evt_1',
  event_type: 'vendor.created',
  data: { name: 'Zoë → Ünïcode' },
});

export const CASES = [
  {
    name: 'one secret',
    header: signatureHeader({ secrets: [NEW], timestampSec: NOW, body: BODY }),
    body: BODY,
    secrets: [NEW],
    now: NOW + 5,
    verdict: 'ok',
  },
  {
    name: 'rotation: two v1, receiver knows only the new secret',
    header: signatureHeader({ secrets: [NEW, OLD], timestampSec: NOW, body: BODY }),
    body: BODY,
    secrets: [NEW],
    now: NOW,
    verdict: 'ok',
  },
  {
    name: 'rotation: two v1, receiver still has only the old secret',
    header: signatureHeader({ secrets: [NEW, OLD], timestampSec: NOW, body: BODY }),
    body: BODY,
    secrets: [OLD],
    now: NOW,
    verdict: 'ok',
  },
  {
    name: 'stale timestamp (301 s old)',
    header: signatureHeader({ secrets: [NEW], timestampSec: NOW - 301, body: BODY }),
    body: BODY,
    secrets: [NEW],
    now: NOW,
    verdict: 'timestamp',
  },
  {
    name: 'tampered body',
    header: signatureHeader({ secrets: [NEW, OLD], timestampSec: NOW, body: BODY }),
    body: BODY.replace('Zoë', 'Zoe'),
    secrets: [NEW, OLD],
    now: NOW,
    verdict: 'signature',
  },
  {
    name: 'wrong secret',
    header: signatureHeader({ secrets: [OLD], timestampSec: NOW, body: BODY }),
    body: BODY,
    secrets: [NEW],
    now: NOW,
    verdict: 'signature',
  },
  {
    name: 'signature over another timestamp',
    header: signatureHeader({ secrets: [NEW], timestampSec: NOW, body: BODY }).replace(
      `t=${NOW}`,
      `t=${NOW + 1}`,
    ),
    body: BODY,
    secrets: [NEW],
    now: NOW,
    verdict: 'signature',
  },
  { name: 'no v1', header: `t=${NOW}`, body: BODY, secrets: [NEW], now: NOW, verdict: 'signature' },
  { name: 'empty header', header: '', body: BODY, secrets: [NEW], now: NOW, verdict: 'signature' },
];
