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

function invalidUrl(message: string): HookstreamError {
  return new HookstreamError('VALIDATION_FAILED', `url: ${message}`, { details: { field: 'url' } });
}

function forbidden(message: string): HookstreamError {
  return new HookstreamError(
    'TARGET_FORBIDDEN',
    `url: ${message}; loopback, private, link-local, CGNAT and metadata targets are refused (HOOKSTREAM_ALLOW_PRIVATE_TARGETS=true allows them)`,
    { details: { field: 'url' } },
  );
}

/**
 * Checks `raw` and returns it normalized (WHATWG URL serialization, fragment removed).
 * Throws VALIDATION_FAILED (not a URL, wrong scheme, credentials, host does not resolve) or
 * TARGET_FORBIDDEN.
 */
export async function checkWebhookUrl(raw: string, policy: TargetPolicy, lookup: LookupAll): Promise<string> {
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
    if (isForbiddenAddress(host)) throw forbidden(`${host} is not a public address`);
    return url.href;
  }
  let addresses: readonly string[];
  try {
    // `localhost.` is `localhost`: resolve the name without its root dot.
    addresses = await withTimeout(lookup(host.replace(/\.$/, '')), LOOKUP_TIMEOUT_MS);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ETIMEOUT';
    throw invalidUrl(`host "${host}" does not resolve (${code})`);
  }
  if (addresses.length === 0) throw invalidUrl(`host "${host}" has no addresses`);
  const bad = addresses.find((a) => isForbiddenAddress(a));
  if (bad !== undefined) throw forbidden(`host "${host}" resolves to ${bad}, which is not a public address`);
  return url.href;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
