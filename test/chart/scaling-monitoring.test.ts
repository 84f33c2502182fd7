/**
 * Optional resources: KEDA ScaledObjects (or the CPU HPA fallback), ServiceMonitor and
 * PrometheusRule. Custom resources get no schema check from kubernetes-validate, so their
 * structure is checked here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/observability/metrics.js';
import {
  ALL_FEATURES,
  configMapData,
  container,
  ensureTools,
  fullname,
  type Manifest,
  NAMESPACE,
  ofKind,
  one,
  render,
  renderError,
  selects,
  TOOLS_TIMEOUT_MS,
  tierDeployments,
  type Yaml,
} from './helm.js';

/** Metrics the app exports (src/observability/metrics.ts): the only ones the chart may refer to. */
const APP_METRICS = new Set(registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
/** all-features: SASL_SSL with SCRAM-SHA-512, in KEDA's own names. */
const KAFKA_SECURITY = { tls: 'enable', sasl: 'scram_sha512' };
const KEDA_ROLES = [
  'router',
  'sender-deliveries',
  'sender-30s',
  'sender-5m',
  'sender-1h',
  'sender-6h',
  'sender-12h',
];

let byDefault: Manifest[];
let allFeatures: Manifest[];

beforeAll(() => {
  ensureTools();
  byDefault = render();
  allFeatures = render({ values: [ALL_FEATURES] });
}, TOOLS_TIMEOUT_MS);

const CUSTOM_KINDS = ['ScaledObject', 'ServiceMonitor', 'PrometheusRule'];

describe('defaults', () => {
  it('render no custom resources and no autoscaler', () => {
    for (const kind of [...CUSTOM_KINDS, 'HorizontalPodAutoscaler'])
      expect(ofKind(byDefault, kind), kind).toEqual([]);
    for (const d of ofKind(byDefault, 'Deployment'))
      expect(d.spec.replicas, d.metadata.name).toBeGreaterThan(0);
  });
});

describe('HPA fallback (KEDA off)', () => {
  it('scales exactly the roles whose autoscaling is enabled, on CPU, and leaves them their replicas', () => {
    const ms = render({
      set: [
        'router.autoscaling.enabled=true',
        'tierSenders.autoscaling.enabled=true',
        'tierSenders.overrides.6h.autoscaling.enabled=false',
        'tierSenders.autoscaling.maxReplicas=9',
      ],
    });
    const hpas = ofKind(ms, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name).sort()).toEqual(
      ['router', 'sender-1m', 'sender-10m', 'sender-1h'].map(fullname).sort(),
    );
    for (const h of hpas) {
      expect(h.apiVersion).toBe('autoscaling/v2');
      expect(h.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: h.metadata.name,
      });
      expect(h.spec.metrics).toEqual([
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ]);
      // The autoscaler owns the replica count.
      expect(one(ms, 'Deployment', h.metadata.name).spec.replicas).toBeUndefined();
    }
    expect(one(ms, 'HorizontalPodAutoscaler', fullname('sender-1m')).spec.maxReplicas).toBe(9);
    expect(one(ms, 'Deployment', fullname('sender-6h')).spec.replicas).toBe(1);
    expect(ofKind(ms, 'ScaledObject')).toEqual([]);
  });
});

describe('KEDA', () => {
  it('scales router, first-attempt sender and every tier sender, and nothing else', () => {
    const scaled = ofKind(allFeatures, 'ScaledObject');
    expect(scaled.map((s) => s.metadata.name).sort()).toEqual(KEDA_ROLES.map(fullname).sort());
    for (const s of scaled) {
      expect(s.apiVersion).toBe('keda.sh/v1alpha1');
      const target = one(allFeatures, 'Deployment', s.spec.scaleTargetRef.name);
      expect(target.spec.replicas, target.metadata.name).toBeUndefined();
      expect(s.spec.minReplicaCount).toBeLessThanOrEqual(s.spec.maxReplicaCount);
      expect(s.spec.triggers.length).toBeGreaterThan(0);
    }
  });

  it('leaves no HPA on a KEDA-scaled role, even with its autoscaling enabled', () => {
    // all-features enables autoscaling on router and senders too.
    const hpas = ofKind(allFeatures, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name)).toEqual([fullname('api')]);
    const scaledTargets = new Set(ofKind(allFeatures, 'ScaledObject').map((s) => s.spec.scaleTargetRef.name));
    for (const h of hpas) expect(scaledTargets.has(h.spec.scaleTargetRef.name)).toBe(false);
  });

  it('scales the router on Kafka lag of its group, one trigger per event topic', () => {
    const data = configMapData(allFeatures);
    const triggers = one(allFeatures, 'ScaledObject', fullname('router')).spec.triggers;
    expect(triggers).toEqual(
      data.HOOKSTREAM_EVENT_TOPICS!.split(',').map((topic) => ({
        type: 'kafka',
        metadata: {
          bootstrapServers: data.KAFKA_BROKERS,
          consumerGroup: `${data.HOOKSTREAM_TOPIC_PREFIX}-router`,
          topic,
          lagThreshold: '1000',
          ...KAFKA_SECURITY,
        },
        authenticationRef: { name: fullname('kafka') },
      })),
    );
  });

  it('scales the first-attempt sender on Kafka lag of <prefix>-sender on <prefix>.deliveries', () => {
    const triggers = one(allFeatures, 'ScaledObject', fullname('sender-deliveries')).spec.triggers;
    expect(triggers).toEqual([
      {
        type: 'kafka',
        metadata: {
          bootstrapServers: 'kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092',
          consumerGroup: 'hs-sender',
          topic: 'hs.deliveries',
          lagThreshold: '500',
          ...KAFKA_SECURITY,
        },
        authenticationRef: { name: fullname('kafka') },
      },
    ]);
    // Plaintext Kafka: no security metadata, no TriggerAuthentication.
    const plain = render({
      set: [
        'keda.enabled=true',
        'keda.prometheus.serverAddress=http://p:9090',
        'metrics.serviceMonitor.enabled=true',
      ],
    });
    expect(one(plain, 'ScaledObject', fullname('sender-deliveries')).spec.triggers[0]).toEqual({
      type: 'kafka',
      metadata: {
        bootstrapServers: 'kafka:9092',
        consumerGroup: 'hookstream-sender',
        topic: 'hookstream.deliveries',
        lagThreshold: '500',
      },
    });
    expect(ofKind(plain, 'TriggerAuthentication')).toEqual([]);
  });

  it('authenticates the Kafka triggers with the Secrets and ConfigMap the pods mount', () => {
    const auth = one(allFeatures, 'TriggerAuthentication', fullname('kafka'));
    expect(auth.apiVersion).toBe('keda.sh/v1alpha1');
    expect(auth.spec).toEqual({
      env: [{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'hookstream' }],
      secretTargetRef: [
        { parameter: 'password', name: 'kafka-credentials', key: 'sasl-password' },
        { parameter: 'cert', name: 'kafka-client-tls', key: 'tls.crt' },
        { parameter: 'key', name: 'kafka-client-tls', key: 'tls.key' },
      ],
      configMapTargetRef: [{ parameter: 'ca', name: 'kafka-ca', key: 'ca.pem' }],
    });
    // The container the username is read from exists, and has it through the ConfigMap.
    expect(container(one(allFeatures, 'Deployment', fullname('router'))).name).toBe('hookstream');
    expect(configMapData(allFeatures).KAFKA_SASL_USERNAME).toBe('hookstream');
  });

  it('scales each tier sender on hookstream_tier_overdue_seconds of its own tier', () => {
    for (const d of tierDeployments(allFeatures)) {
      const tier = d.metadata.labels['hookstream.io/tier'];
      const s = one(allFeatures, 'ScaledObject', d.metadata.name);
      expect(s.spec.triggers).toHaveLength(1);
      const [trigger] = s.spec.triggers;
      expect(trigger.type).toBe('prometheus');
      expect(trigger.metadata.serverAddress).toBe('http://prometheus-operated.monitoring.svc:9090');
      expect(trigger.metadata.threshold).toBe('30');
      expect(trigger.metadata.query).toContain('hookstream_tier_overdue_seconds{');
      expect(trigger.metadata.query).toContain(`tier="${tier}"`);
      expect(trigger.metadata.query).toContain(`namespace="${NAMESPACE}"`);
      // A missing series is not silently 0: nothing scraped gives no value, and KEDA then fails
      // the trigger. Only with series of the release (the tier is at zero pods) does it read 0.
      expect(trigger.metadata.query).not.toContain('or vector(0)');
      expect(trigger.metadata.query).toMatch(
        / or on\(\) \(0 \* max\(hookstream_build_info\{namespace="hookstream",job="hookstream-metrics"\}\)\)$/,
      );
      expect(trigger.metadata.ignoreNullValues).toBe('false');
      // KEDA reads trigger metadata as strings.
      for (const v of Object.values(trigger.metadata)) expect(typeof v).toBe('string');
    }
  });

  it('reads metrics the app exports', () => {
    for (const s of ofKind(allFeatures, 'ScaledObject')) {
      for (const t of s.spec.triggers.filter((t: Yaml) => t.type === 'prometheus')) {
        for (const metric of t.metadata.query.match(/hookstream_[a-z_]+/g))
          expect(APP_METRICS).toContain(metric);
      }
    }
  });

  it('refuses KEDA without a scrape of the pods, instead of querying a series that cannot exist', () => {
    const keda = ['keda.enabled=true', 'keda.prometheus.serverAddress=http://p:9090'];
    expect(renderError({ set: keda })).toMatch(/Enable metrics.serviceMonitor, or set metrics.selector/);
    expect(
      ofKind(render({ set: [...keda, 'metrics.serviceMonitor.enabled=true'] }), 'ScaledObject'),
    ).not.toEqual([]);
    const own = render({ set: [...keda, 'metrics.selector=job="kubernetes-pods"'] });
    expect(one(own, 'ScaledObject', fullname('sender-1h')).spec.triggers[0].metadata.query).toContain(
      'hookstream_build_info{job="kubernetes-pods"}',
    );
  });

  it('needs the lag collectors of the roles', () => {
    for (const feature of ['keda.enabled=true', 'prometheusRule.enabled=true']) {
      expect(
        renderError({
          set: [feature, 'config.lagIntervalMs=0', 'keda.prometheus.serverAddress=http://p:9090'],
        }),
      ).toMatch(/config.lagIntervalMs is 0/);
    }
  });

  it('lets router and tier senders scale to zero, waking a tier on any job waiting in its topic', () => {
    const ms = render({
      values: [ALL_FEATURES],
      set: ['keda.router.minReplicaCount=0', 'keda.tierSenders.minReplicaCount=0'],
    });
    // The router's own trigger is KEDA's Kafka lag reading: it needs no router pod.
    expect(one(ms, 'ScaledObject', fullname('router')).spec.minReplicaCount).toBe(0);
    const s = one(ms, 'ScaledObject', fullname('sender-6h'));
    expect(s.spec.minReplicaCount).toBe(0);
    // A tier at zero measures nothing itself: KEDA's Kafka lag of its topic activates it.
    expect(s.spec.triggers.map((t: Yaml) => t.type)).toEqual(['prometheus', 'kafka']);
    expect(s.spec.triggers[1].metadata).toMatchObject({
      consumerGroup: 'hs-sender-6h',
      topic: 'hs.retry.6h',
      activationLagThreshold: '0',
      offsetResetPolicy: 'earliest',
    });
    expect(Number(s.spec.triggers[1].metadata.lagThreshold)).toBeGreaterThanOrEqual(1e9);
    // With replicas at 1 or more, no Kafka trigger on retry topics (lag there is mostly not due).
    expect(one(allFeatures, 'ScaledObject', fullname('sender-6h')).spec.triggers).toHaveLength(1);
  });

  it('follows a change of tiers', () => {
    const ms = render({
      values: [ALL_FEATURES],
      setJson: ['config.retryTiers=["2m","20m"]', 'tierSenders.overrides={}'],
    });
    expect(ofKind(ms, 'ScaledObject').map((s) => s.metadata.name)).toEqual(
      ['router', 'sender-deliveries', 'sender-2m', 'sender-20m'].map(fullname),
    );
  });
});

describe('ServiceMonitor', () => {
  it('is rendered only when enabled and scrapes /metrics of every role through the metrics Service', () => {
    expect(ofKind(render({ set: ['metrics.serviceMonitor.enabled=true'] }), 'ServiceMonitor')).toHaveLength(
      1,
    );
    const [sm] = ofKind(allFeatures, 'ServiceMonitor');
    expect(sm!.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm!.metadata.labels.release).toBe('prometheus');
    const svc = one(allFeatures, 'Service', fullname('metrics'));
    expect(selects(sm!.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    // Only the metrics Service, not the API one.
    expect(
      selects(sm!.spec.selector.matchLabels, one(allFeatures, 'Service', fullname('api')).metadata.labels),
    ).toBe(false);
    expect(sm!.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] });
    expect(sm!.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain('metrics');
    expect(sm!.spec.podTargetLabels).toContain('hookstream.io/tier');
  });
});

describe('PrometheusRule', () => {
  const rules = (ms: Manifest[]): Yaml[] =>
    one(ms, 'PrometheusRule', 'hookstream').spec.groups.flatMap((g: Yaml) => g.rules);
  const alert = (ms: Manifest[], name: string) => rules(ms).find((r) => r.alert === name);

  it('is rendered only when enabled', () => {
    expect(ofKind(render({ set: ['prometheusRule.enabled=true'] }), 'PrometheusRule')).toHaveLength(1);
    expect(one(allFeatures, 'PrometheusRule', 'hookstream').apiVersion).toBe('monitoring.coreos.com/v1');
  });

  it('alerts on an overdue tier, growing router lag, dead letters and all attempts failing', () => {
    expect(rules(allFeatures).map((r) => r.alert)).toEqual([
      'HookstreamTierOverdue',
      'HookstreamLagUnreported',
      'HookstreamRouterLagGrowing',
      'HookstreamDeadLetterRate',
      'HookstreamAllAttemptsFailing',
    ]);
    for (const r of rules(allFeatures)) {
      expect(r.expr, r.alert).toEqual(expect.any(String));
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.labels.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations.summary, r.alert).toEqual(expect.any(String));
      // Only metrics the app exports, scoped to this release.
      for (const metric of r.expr.match(/hookstream_[a-z_]+/g))
        expect(APP_METRICS, `${r.alert}: ${metric}`).toContain(metric);
      expect(r.expr, r.alert).toContain(`namespace="${NAMESPACE}"`);
      // Balanced braces and parentheses: a cheap guard against a broken template.
      for (const [open, close] of ['()', '{}', '[]']) {
        expect(r.expr.split(open!).length, `${r.alert} ${open}`).toBe(r.expr.split(close!).length);
      }
    }
    expect(alert(allFeatures, 'HookstreamTierOverdue').expr).toMatch(
      /max by \(tier\) \(hookstream_tier_overdue_seconds\{[^}]*\}\) > 300/,
    );
    expect(alert(allFeatures, 'HookstreamRouterLagGrowing').expr).toContain('group="hs-router"');
    expect(alert(allFeatures, 'HookstreamRouterLagGrowing').expr).toContain('deriv(');
    expect(alert(allFeatures, 'HookstreamDeadLetterRate').expr).toContain(
      'rate(hookstream_dead_lettered_total',
    );
    expect(alert(allFeatures, 'HookstreamAllAttemptsFailing').expr).toContain('outcome="success"');
    // Alertmanager templates survive Helm.
    expect(alert(allFeatures, 'HookstreamTierOverdue').annotations.summary).toContain('{{ $labels.tier }}');
  });

  it('alerts when a role reports no lag, except for roles KEDA may scale to zero', () => {
    const absent = (ms: Manifest[]) =>
      [
        ...alert(ms, 'HookstreamLagUnreported').expr.matchAll(
          /absent\((\w+)\{[^}]*,(tier|group)="([^"]+)"\}\)/g,
        ),
      ].map((m) => `${m[1]}/${m[3]}`);
    expect(absent(allFeatures)).toEqual([
      'hookstream_consumer_lag/hs-router',
      ...['deliveries', '30s', '5m', '1h', '6h', '12h'].map((t) => `hookstream_tier_overdue_seconds/${t}`),
    ]);
    const zero = render({
      values: [ALL_FEATURES],
      set: ['keda.router.minReplicaCount=0', 'keda.tierSenders.minReplicaCount=0'],
    });
    expect(absent(zero)).toEqual(['hookstream_tier_overdue_seconds/deliveries']);
  });

  it('takes thresholds and switches from values', () => {
    const ms = render({
      set: [
        'prometheusRule.enabled=true',
        'prometheusRule.alerts.tierOverdue.thresholdSeconds=900',
        'prometheusRule.alerts.deadLetterRate.enabled=false',
        'metrics.selector=cluster="eu"',
      ],
    });
    expect(rules(ms).map((r) => r.alert)).not.toContain('HookstreamDeadLetterRate');
    expect(alert(ms, 'HookstreamTierOverdue').expr).toContain('{cluster="eu"}) > 900');
  });
});
