/**
 * Registration-time checks of a webhook URL: scheme, no credentials, and (unless private targets are
 * allowed) no loopback/private/link-local/CGNAT/metadata address — literal IPs directly, host names
 * after resolving every address they have. The sender checks again on the address it connects to,
 * so a name re-pointed after registration is still refused.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HookstreamError } from '../core/errors.js';
import { isForbiddenAddress } from '../security/address.js';
import { withDeadline } from './deadline.js';

/** All addresses of a host name. */
export type LookupAll = (host: string) => Promise<readonly string[]>;

export const systemLookup: LookupAll = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface TargetPolicy {
  readonly allowHttp: boolean;
  readonly allowPrivateTargets: boolean;
}

/** Longest a registration waits for DNS, milliseconds. */
const LOOKUP_TIMEOUT_MS = 5_000;

/** Why a target was refused, for the server log only (never in the answer to the tenant). */
export type RefusalLog = (detail: { host: string; reason: string; address?: string }) => void;

/** The one answer a tenant gets for any refused target: it tells internal names and ranges apart for nobody. */
export const TARGET_REFUSED =
  'url: is not an allowed webhook target (it must resolve only to public addresses; loopback, private, link-local, CGNAT and metadata targets are refused)';

function invalidUrl(message: string): HookstreamError {
  return new HookstreamError('VALIDATION_FAILED', `url: ${message}`, { details: { field: 'url' } });
}

function refused(log: RefusalLog | undefined, detail: Parameters<RefusalLog>[0]): HookstreamError {
  log?.(detail);
  return new HookstreamError('TARGET_FORBIDDEN', TARGET_REFUSED, { details: { field: 'url' } });
}

/**
 * Checks `raw` and returns it normalized (WHATWG URL serialization, fragment removed).
 * Throws VALIDATION_FAILED (not a URL, wrong scheme, credentials) or TARGET_FORBIDDEN — one
 * message whether the host does not resolve, has no addresses or resolves to a refused one; the
 * reason goes to `log`.
 */
export async function checkWebhookUrl(
  raw: string,
  policy: TargetPolicy,
  lookup: LookupAll,
  log?: RefusalLog,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidUrl('must be an https URL');
  if (url.protocol === 'http:' && !policy.allowHttp) {
    throw invalidUrl('must use https (http is accepted only with HOOKSTREAM_ALLOW_HTTP=true)');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidUrl('must not contain credentials (user:password@); put them in the receiver, not the URL');
  }
  url.hash = '';
  if (policy.allowPrivateTargets) return url.href;

  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    if (isForbiddenAddress(host)) throw refused(log, { host, reason: 'not a public address', address: host });
    return url.href;
  }
  let addresses: readonly string[];
  try {
    // `localhost.` is `localhost`: resolve the name without its root dot.
    addresses = await withDeadline(lookup(host.replace(/\.$/, '')), LOOKUP_TIMEOUT_MS, () =>
      Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' }),
    );
  } catch (err) {
    throw refused(log, {
      host,
      reason: `does not resolve (${(err as { code?: string }).code ?? 'ETIMEOUT'})`,
    });
  }
  if (addresses.length === 0) throw refused(log, { host, reason: 'has no addresses' });
  const bad = addresses.find((a) => isForbiddenAddress(a));
  if (bad !== undefined) throw refused(log, { host, reason: 'resolves to a refused address', address: bad });
  return url.href;
}
