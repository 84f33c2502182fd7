/**
 * Domain event bytes → validated Envelope. JSON, or Confluent wire format (magic byte 0 + 4-byte
 * big-endian schema id + Avro body) decoded through the schema registry.
 *
 * Errors: non-retriable HookstreamErrors mean "this record is bad: quarantine it"; a retriable one
 * (the registry unreachable) means "try again later", never quarantine.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type Envelope, parseEnvelope, validateEnvelope } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';

export const MAX_EVENT_BYTES = 1_000_000;

export interface EventDecoder {
  decode(value: Buffer | null, recordTimestampMs: number): Promise<Envelope>;
}

function isWireFormat(value: Buffer): boolean {
  return value.length >= 5 && value[0] === 0;
}

/** The registry answered "no such schema" (HTTP 404), as opposed to "registry unreachable". */
function isUnknownSchema(err: unknown): boolean {
  return (err as { status?: number }).status === 404;
}

/**
 * The registry could not be asked: an HTTP error other than 404, or a network error (mappersmith
 * reports those as a response error too, with the socket error in the message).
 */
function isRegistryUnavailable(err: unknown): boolean {
  const e = err as { status?: number; code?: string; message?: string };
  if (typeof e.status === 'number') return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up/.test(
    `${e.code} ${e.message}`,
  );
}

export function createEventDecoder(registry: SchemaRegistry | null): EventDecoder {
  return {
    async decode(value, recordTimestampMs) {
      if (value === null || value.length === 0) {
        throw new HookstreamError('UNDECODABLE_EVENT', 'record has no value', {
          details: { reason: 'empty' },
        });
      }
      if (value.length > MAX_EVENT_BYTES) {
        throw new HookstreamError(
          'UNDECODABLE_EVENT',
          `event is ${value.length} bytes; the limit is ${MAX_EVENT_BYTES}`,
          {
            details: { reason: 'too_large' },
          },
        );
      }
      if (!isWireFormat(value)) return parseEnvelope(value, { recordTimestampMs, maxBytes: MAX_EVENT_BYTES });

      const schemaId = value.readUInt32BE(1);
      if (registry === null) {
        throw new HookstreamError(
          'UNKNOWN_SCHEMA',
          `Avro event (schema id ${schemaId}) but SCHEMA_REGISTRY_URL is not set`,
          {
            details: { reason: 'no_registry', schema_id: schemaId },
          },
        );
      }
      let decoded: unknown;
      try {
        decoded = await registry.decode(value);
      } catch (err) {
        if (isUnknownSchema(err)) {
          throw new HookstreamError('UNKNOWN_SCHEMA', `schema id ${schemaId} is unknown to the registry`, {
            cause: err,
            details: { reason: 'unknown_schema', schema_id: schemaId },
          });
        }
        if (isRegistryUnavailable(err)) {
          throw new HookstreamError(
            'STORE_UNAVAILABLE',
            `schema registry unreachable: ${(err as Error).message}`,
            {
              cause: err,
              retriable: true,
            },
          );
        }
        throw new HookstreamError(
          'UNDECODABLE_EVENT',
          `Avro body does not decode with schema ${schemaId}: ${(err as Error).message}`,
          {
            cause: err,
            details: { reason: 'avro_decode', schema_id: schemaId },
          },
        );
      }
      return validateEnvelope(avroToEnvelopeObject(decoded), { recordTimestampMs });
    },
  };
}

/**
 * schemas/envelope.avsc carries `data` as a JSON string (Avro has no free-form object type) and the
 * optional fields as unions with null. Turn that back into the JSON envelope shape.
 */
function avroToEnvelopeObject(decoded: unknown): unknown {
  if (typeof decoded !== 'object' || decoded === null) return decoded;
  const record = { ...(decoded as Record<string, unknown>) };
  for (const key of ['created_at', 'workflow_run_id']) {
    if (record[key] === null) delete record[key];
  }
  if (typeof record.data === 'string') {
    try {
      record.data = JSON.parse(record.data);
    } catch {
      throw new HookstreamError('INVALID_ENVELOPE', 'data: the Avro field holds a string that is not JSON', {
        details: { field: 'data', reason: 'not_json' },
      });
    }
  }
  return record;
}
