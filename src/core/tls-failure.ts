/**
 * Reading a failed connection for what settings must fix: an untrusted certificate or a failed TLS
 * handshake cannot heal by retrying. Kafka (`kafka/security.ts`) and MongoDB (`mongo/client.ts`)
 * clients both wrap Node's TLS error in their own; this walks the wrapping by class name and code only.
 */

/** Node's codes for a server certificate that does not verify (node:tls / OpenSSL). */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface ErrorLike {
  name?: unknown;
  code?: unknown;
  /** kafkajs protocol errors: the broker's error name, e.g. `ILLEGAL_SASL_STATE`. */
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and its causes (`cause`, kafkajs' `originalError`), outermost first; at most 8. */
export function errorChain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 8; ) {
    const x = e as ErrorLike;
    out.push(x);
    e = x.cause ?? x.originalError;
  }
  return out;
}

export type TlsFailure =
  /** The server's certificate does not verify against the configured CA. */
  | { kind: 'untrusted'; code: string }
  /** The TLS handshake failed otherwise (OpenSSL `ERR_SSL_*`): e.g. the server wants a client certificate. */
  | { kind: 'handshake'; code: string };

/** The TLS failure somewhere in `err`'s cause chain, or null when it is not one. */
export function tlsFailure(err: unknown): TlsFailure | null {
  const errors = errorChain(err);
  for (const e of errors) {
    if (typeof e.code === 'string' && UNTRUSTED_CERT_CODES.has(e.code))
      return { kind: 'untrusted', code: e.code };
  }
  for (const e of errors) {
    if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL_'))
      return { kind: 'handshake', code: e.code };
  }
  return null;
}
