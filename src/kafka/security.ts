/**
 * Kafka TLS and SASL: the kafkajs options built from the configuration, and the reading of a failed
 * first connection. kafkajs retries a refused TLS handshake (untrusted CA, plaintext port) like any
 * network error, for minutes; a login, certificate or protocol mismatch cannot heal by waiting, so
 * the start-up check (see `client.ts`) turns those into one fatal `KAFKA_SECURITY_FAILED`.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/config.js';
import { HookstreamError } from '../core/errors.js';
import { errorChain, type TlsFailure, tlsFailure } from '../core/tls-failure.js';

export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/** kafkajs `ssl` and `sasl` options; both absent for a plaintext client. */
export function kafkaJsSecurity(security: KafkaSecurity | undefined): {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
} {
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  const ssl = security?.ssl;
  if (ssl) {
    out.ssl = {
      rejectUnauthorized: ssl.rejectUnauthorized,
      // A CA file replaces the system trust store, as every TLS client does.
      ...(ssl.ca !== null ? { ca: [ssl.ca] } : {}),
      ...(ssl.cert !== null ? { cert: ssl.cert } : {}),
      ...(ssl.key !== null ? { key: ssl.key } : {}),
    };
  }
  const sasl = security?.sasl;
  if (sasl) out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
  return out;
}

/** What a failed first connection says about the settings. */
export type ConnectFailure =
  /** The broker refused the SASL login (user, password or mechanism). */
  | { kind: 'auth' }
  /** The broker's certificate does not verify, or the TLS handshake failed (e.g. it wants a client certificate). */
  | TlsFailure
  /** The connection was closed or reset before any answer: client and listener disagree on TLS/SASL. */
  | { kind: 'closed' }
  /** Anything else (refused, timed out, DNS): worth retrying. */
  | { kind: 'other' };

/** Reads a kafkajs connect error (walking `cause`) by error class, Kafka error type and Node error code only. */
export function classifyConnectFailure(err: unknown): ConnectFailure {
  const errors = errorChain(err);
  // ILLEGAL_SASL_STATE: the client speaks SASL to a listener that has none.
  if (errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'ILLEGAL_SASL_STATE'))
    return { kind: 'auth' };
  const tls = tlsFailure(err);
  if (tls) return tls;
  if (errors.some((e) => e.name === 'KafkaJSConnectionClosedError' || e.code === 'ECONNRESET'))
    return { kind: 'closed' };
  return { kind: 'other' };
}

/**
 * The one fatal error for a failure that settings must fix. The message names the broker, what
 * happened and the variables to check; it never carries the password or key.
 */
export function securityError(
  failure: ConnectFailure,
  brokers: readonly string[],
  security: KafkaSecurity | undefined,
  cause: unknown,
): HookstreamError | null {
  const at = brokers.join(',');
  const tls = security?.ssl ? 'TLS' : 'plaintext';
  const sasl = security?.sasl ? `SASL ${security.sasl.mechanism}` : 'no SASL';
  const details = { broker: at, reason: failure.kind };
  switch (failure.kind) {
    case 'auth':
      return new HookstreamError(
        'KAFKA_SECURITY_FAILED',
        `Kafka ${at} rejected the SASL login of user "${security?.sasl?.username ?? ''}" (${sasl}): check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD / KAFKA_SASL_PASSWORD_FILE and KAFKA_SASL_MECHANISM`,
        { cause, details },
      );
    case 'untrusted':
      return new HookstreamError(
        'KAFKA_SECURITY_FAILED',
        `Kafka ${at}: the broker's TLS certificate is not trusted (${failure.code}): check KAFKA_SSL_CA_FILE`,
        { cause, details: { ...details, tlsCode: failure.code } },
      );
    case 'handshake':
      return new HookstreamError(
        'KAFKA_SECURITY_FAILED',
        `Kafka ${at}: the TLS handshake failed (${failure.code}): check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE (a client certificate the broker accepts) and that the listener speaks TLS`,
        { cause, details: { ...details, tlsCode: failure.code } },
      );
    case 'closed':
      return new HookstreamError(
        'KAFKA_SECURITY_FAILED',
        `Kafka ${at} closed every connection before answering (client: ${tls}, ${sasl}): the listener expects other security; check KAFKA_BROKERS, KAFKA_SSL and KAFKA_SASL_MECHANISM`,
        { cause, details },
      );
    case 'other':
      return null;
  }
}
