/**
 * The router's schema registry client over HTTPS with a private CA and basic auth, against a small
 * registry double served with a certificate from a throwaway CA made here with openssl.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { createSchemaRegistry } from '../../../src/kafka/schema-registry.js';

const openssl = (dir: string, ...args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });
const USER = 'sr-user';
const PASSWORD = 'sr-password-5e1f';
const SCHEMA = { type: 'record', name: 'Ping', fields: [{ name: 'n', type: 'int' }] };

describe('schema registry over HTTPS with credentials and a private CA', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hs-registry-'));
    await openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=registry test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    await openssl(
      dir,
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    await openssl(
      dir,
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    );
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    server = createServer(
      { cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server.key')) },
      (req, res) => {
        seen.push(req.headers.authorization);
        if (req.headers.authorization !== expected) {
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end('{"error_code":401,"message":"Unauthorized"}');
          return;
        }
        if (req.url === '/schemas/ids/7') {
          res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
          res.end(JSON.stringify({ schema: JSON.stringify(SCHEMA) }));
          return;
        }
        res.writeHead(404).end('{"error_code":40403,"message":"Schema not found"}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function registry(env: Record<string, string>) {
    const config = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/hookstream',
      SCHEMA_REGISTRY_URL: url,
      ...env,
    });
    return createSchemaRegistry(config.schemaRegistry!);
  }

  it('fetches a schema with the password from a file, trusting the CA from SCHEMA_REGISTRY_CA_FILE', async () => {
    const r = registry({
      SCHEMA_REGISTRY_USERNAME: USER,
      SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, 'password'),
      SCHEMA_REGISTRY_CA_FILE: join(dir, 'ca.pem'),
    });
    const schema = await r.getSchema(7);
    expect(JSON.parse(JSON.stringify(schema))).toMatchObject({ name: 'Ping' });
  });

  it('fails without the CA (untrusted certificate) and with a wrong password, never echoing it', async () => {
    const noCa = registry({ SCHEMA_REGISTRY_USERNAME: USER, SCHEMA_REGISTRY_PASSWORD: PASSWORD });
    await expect(noCa.getSchema(7)).rejects.toThrow(/certificate/);
    const wrong = registry({
      SCHEMA_REGISTRY_USERNAME: USER,
      SCHEMA_REGISTRY_PASSWORD: 'wrong-sr-password',
      SCHEMA_REGISTRY_CA_FILE: join(dir, 'ca.pem'),
    });
    const err = await wrong.getSchema(7).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/401|Unauthorized/);
    expect(String(err?.message)).not.toContain('wrong-sr-password');
    expect(String(err?.stack)).not.toContain(PASSWORD);
  });
});
