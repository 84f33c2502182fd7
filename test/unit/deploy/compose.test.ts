import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KNOWN_VARIABLES, loadConfig, VARIABLES } from '../../../src/config/config.js';
import { warnDevSecrets } from '../../../src/roles/runtime.js';

// docker compose cannot run on this machine (no Docker engine); this checks what can be checked.
const text = readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8');
interface Service {
  command?: string[];
  environment?: Record<string, string>;
  image?: string;
  build?: string;
  pull_policy?: string;
  healthcheck?: { test: string[] };
}
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };

/** `${NAME:-default}` → default, as compose substitutes it when NAME is unset. */
const withDefaults = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/^\$\{\w+:-(.*)\}$/, '$1')]));

describe('docker-compose.yml', () => {
  const roles = ['api', 'router', 'sender'];

  it('runs real images for Kafka (KRaft), MongoDB 7 and a schema registry', () => {
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\./);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.mongodb?.image).toBe('mongo:7');
    expect(compose.services['schema-registry']?.image).toMatch(/schema-registry/);
  });

  it('builds the hookstream image once and every role reuses it', () => {
    const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name)).toEqual(['topics']);
    const image = compose.services.topics!.image;
    expect(image).toBe('hookstream:dev');
    for (const role of roles) {
      expect(compose.services[role]!.image, role).toBe(image);
      expect(compose.services[role]!.pull_policy, role).toBe('never');
    }
  });

  it.each(roles)('role %s names only variables the config loader knows', (role) => {
    const svc = compose.services[role]!;
    expect(svc.command?.[0]).toBe(role);
    const names = Object.keys(svc.environment ?? {});
    expect(names.length).toBeGreaterThan(0);
    const unknown = names.filter((n) => !KNOWN_VARIABLES.has(n));
    expect(unknown).toEqual([]);
    for (const v of VARIABLES.filter((x) => 'required' in x && x.required)) expect(names).toContain(v.name);
  });

  it.each(roles)('role %s has a healthcheck on /readyz of its metrics port', (role) => {
    const svc = compose.services[role]!;
    const port = svc.environment?.HOOKSTREAM_METRICS_PORT;
    expect(port).toMatch(/^\d+$/);
    expect(svc.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
  });

  it('names its secrets dev-only, and the all-zero key makes every role warn at start-up', () => {
    const env = withDefaults(compose.services.api!.environment!);
    expect(env.HOOKSTREAM_ADMIN_API_KEY).toMatch(/dev-only/);
    expect(text).toMatch(/DEV ONLY[^\n]*\n[^\n]*HOOKSTREAM_SECRET_KEY|DEV ONLY/);
    const warnings: string[] = [];
    warnDevSecrets(loadConfig(env), { warn: (msg: string) => void warnings.push(msg) });
    expect(warnings).toEqual([expect.stringMatching(/all-zero development key/)]);
    // A real key is quiet.
    warnings.length = 0;
    warnDevSecrets(loadConfig({ ...env, HOOKSTREAM_SECRET_KEY: 'ab'.repeat(32) }), {
      warn: (msg: string) => void warnings.push(msg),
    });
    expect(warnings).toEqual([]);
  });
});
