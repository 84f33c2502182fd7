/**
 * Preloaded into a role process (NODE_OPTIONS=--import=…/fake-dns.mjs) to answer chosen host names
 * with chosen addresses, as a DNS server would: HOOKSTREAM_TEST_HOSTS="name=ip,name=ip". There is
 * no DNS server in the test environment, and this lets two processes see one name resolve to
 * different addresses — the API a public one at registration, the sender 127.0.0.1 at send time —
 * which is what a rebinding attacker arranges. Every other name goes to the real resolver.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const hosts = new Map(
  (process.env.HOOKSTREAM_TEST_HOSTS ?? '')
    .split(',')
    .filter((entry) => entry.includes('='))
    .map((entry) => entry.split('=').map((s) => s.trim())),
);

const answer = (ip) => ({ address: ip, family: ip.includes(':') ? 6 : 4 });

const realLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' || options === undefined ? {} : options;
  const ip = hosts.get(hostname);
  if (ip === undefined) return realLookup.call(this, hostname, options, callback);
  const a = answer(ip);
  process.nextTick(() =>
    typeof opts === 'object' && opts.all ? cb(null, [a]) : cb(null, a.address, a.family),
  );
  return {};
};

const realPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  const ip = hosts.get(hostname);
  if (ip === undefined) return realPromiseLookup.call(this, hostname, options);
  const a = answer(ip);
  return typeof options === 'object' && options?.all ? [a] : a;
};

// `import { lookup } from 'node:dns/promises'` binds at import time: publish the patched functions.
syncBuiltinESMExports();
