/**
 * Which webhooks want an event: an immutable index over the registered webhooks, rebuilt whenever
 * they change, answering `match(environment, eventType)` with two map lookups on the hot path.
 *
 * A subscription matches an event type when it is `*`, the type itself, or `F.*` where the type
 * starts with `F.` (`vendor.*` matches `vendor.created`). Matching is purely textual: subscriptions
 * are validated when a webhook is registered (`isValidSubscription`), not here.
 */
import type { Envelope } from './envelope.js';
import { EVENT_TYPES } from './event-types.js';

export interface MatchableWebhook {
  readonly id: string;
  readonly environment: string;
  /** Subscriptions: exact types, `family.*` or `*`. */
  readonly event_types: readonly string[];
  readonly enabled: boolean;
}

const NONE: readonly string[] = Object.freeze([]);

class EnvironmentIndex {
  readonly exact = new Map<string, string[]>();
  /** Keyed by the family without its `.*`: `vendor.*` → `vendor`. */
  readonly family = new Map<string, string[]>();
  readonly wildcard: string[] = [];
  /** Precomputed answers for every taxonomy type and every exactly subscribed type. */
  readonly resolved = new Map<string, readonly string[]>();

  add(id: string, subscriptions: readonly string[]): void {
    for (const sub of new Set(subscriptions)) {
      if (sub === '*') this.wildcard.push(id);
      else if (sub.endsWith('.*')) push(this.family, sub.slice(0, -2), id);
      else push(this.exact, sub, id);
    }
  }

  seal(): void {
    for (const type of [...EVENT_TYPES, ...this.exact.keys()]) this.resolved.set(type, this.compute(type));
  }

  compute(eventType: string): readonly string[] {
    const ids = new Set<string>(this.wildcard);
    for (const id of this.exact.get(eventType) ?? NONE) ids.add(id);
    // Every `F.` prefix of the type: `a.b.c` is in families `a` and `a.b`.
    for (let dot = eventType.indexOf('.'); dot !== -1; dot = eventType.indexOf('.', dot + 1)) {
      for (const id of this.family.get(eventType.slice(0, dot)) ?? NONE) ids.add(id);
    }
    return ids.size === 0 ? NONE : Object.freeze([...ids].sort());
  }
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [id]);
  else list.push(id);
}

export class WebhookIndex {
  readonly #environments = new Map<string, EnvironmentIndex>();
  /** Number of enabled webhooks indexed. */
  readonly size: number;

  constructor(webhooks: Iterable<MatchableWebhook>) {
    const seen = new Set<string>();
    for (const webhook of webhooks) {
      if (!webhook.enabled) continue;
      let env = this.#environments.get(webhook.environment);
      if (env === undefined) {
        env = new EnvironmentIndex();
        this.#environments.set(webhook.environment, env);
      }
      env.add(webhook.id, webhook.event_types);
      seen.add(webhook.id);
    }
    for (const env of this.#environments.values()) env.seal();
    this.size = seen.size;
  }

  static readonly EMPTY = new WebhookIndex([]);

  /**
   * Ids of the enabled webhooks of `environment` subscribed to `eventType`, each once, sorted by
   * UTF-16 code units. The returned array is frozen and shared: do not mutate it.
   */
  match(environment: string, eventType: string): readonly string[] {
    const env = this.#environments.get(environment);
    if (env === undefined) return NONE;
    // Types outside the taxonomy are rare (the router validates first): computed, not cached, so
    // hostile input cannot grow the index.
    return env.resolved.get(eventType) ?? env.compute(eventType);
  }
}

/**
 * The webhooks an event goes to: a pure function of the index and the envelope, so per-webhook
 * conditions on the payload can be evaluated here too.
 */
export function matchEnvelope(index: WebhookIndex, envelope: Envelope): readonly string[] {
  return index.match(envelope.environment, envelope.event_type);
}
