import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KNOWN_VARIABLES, VARIABLES } from '../../../src/config/config.js';

// docker compose cannot run on this machine (no Docker engine); this checks what can be checked.
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as {
  services: Record<
    string,
    { command?: string[]; environment?: Record<string, string>; image?: string; build?: string }
  >;
};

describe('docker-compose.yml', () => {
  const roles = ['api', 'router', 'sender'];

  it('runs real images for Kafka (KRaft), MongoDB 7 and a schema registry', () => {
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\./);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.mongodb?.image).toBe('mongo:7');
    expect(compose.services['schema-registry']?.image).toMatch(/schema-registry/);
  });

  it.each(roles)(
    'role %s is built from the Dockerfile and names only variables the config loader knows',
    (role) => {
      const svc = compose.services[role]!;
      expect(svc.build).toBe('.');
      expect(svc.command?.[0]).toBe(role);
      const names = Object.keys(svc.environment ?? {});
      expect(names.length).toBeGreaterThan(0);
      const unknown = names.filter((n) => !KNOWN_VARIABLES.has(n));
      expect(unknown).toEqual([]);
      for (const v of VARIABLES.filter((x) => 'required' in x && x.required)) expect(names).toContain(v.name);
    },
  );
});
