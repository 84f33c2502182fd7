import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The built package, as a receiver would import it (`npm run build` runs before `npm test`).
describe('the published package', () => {
  it('exports verify and sign from its root, and importing it starts nothing', () => {
    const script = `
      import { verify, signatureHeader, deliveryId, HookstreamError } from 'hookstream';
      const body = '{"event_id":"e1"}';
      const header = signatureHeader({ secrets: ['whsec_test'], timestampSec: 1700000000, body });
      const ok = verify({ header, body, secrets: 'whsec_test', nowSec: 1700000010 });
      let code = null;
      try { verify({ header, body: body + ' ', secrets: 'whsec_test', nowSec: 1700000010 }); } catch (e) { code = e instanceof HookstreamError ? e.code : String(e); }
      console.log(JSON.stringify({ t: ok.timestampSec, code, id: deliveryId('e1', 'wh_1').slice(0, 4) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(JSON.parse(out)).toEqual({ t: 1700000000, code: 'SIGNATURE_INVALID', id: 'dlv_' });
  });

  it('prints help from the CLI without any service', () => {
    const out = execFileSync(process.execPath, ['bin/hookstream.js', '--help'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(out).toMatch(/^Usage: hookstream \[options\] \[command\]/);
    expect(out).toContain('sender [options]');
  });
});
