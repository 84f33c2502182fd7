/** The Confluent schema registry client, with basic auth and a private CA when configured. */
import { Agent } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { SchemaRegistryConfig } from '../config/config.js';

export function createSchemaRegistry(config: SchemaRegistryConfig): SchemaRegistry {
  return new SchemaRegistry({
    host: config.url,
    ...(config.auth ? { auth: { username: config.auth.username, password: config.auth.password } } : {}),
    // The config only accepts a CA with an https:// URL; keep-alive: the router asks per new schema id.
    ...(config.ca !== null ? { agent: new Agent({ ca: config.ca, keepAlive: true }) } : {}),
  });
}
