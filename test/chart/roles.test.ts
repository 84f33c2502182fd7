/**
 * The chart's Deployments and their wiring: one per role and per retry tier, configuration from
 * the app's own variable list, secrets from a Secret, security, shutdown and probes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES, loadConfig, VARIABLES } from '../../src/config/config.js';
import { topicNames } from '../../src/config/topics.js';
import { parseTiers } from '../../src/core/retry-policy.js';
import {
  ALL_FEATURES,
  configMapData,
  container,
  ensureTools,
  fullname,
  type Manifest,
  ofKind,
  one,
  podSpec,
  RELEASE,
  render,
  renderError,
  selects,
  TOOLS_TIMEOUT_MS,
  tierDeployments,
  workloads,
} from './helm.js';

const SECRET_VARIABLES = new Set<string>(
  VARIABLES.filter((v) => 'secret' in v && v.secret).map((v) => v.name),
);
const DEFAULT_TIERS = ['1m', '10m', '1h', '6h'];
/** The Secret the chart makes holds only these; Kafka and registry credentials come from existing Secrets. */
const CHART_SECRET_KEYS = ['HOOKSTREAM_ADMIN_API_KEY', 'HOOKSTREAM_SECRET_KEY', 'MONGODB_URI'];
/** Variables all-features adds through extraEnv (global, then the router's own). */
const EXTRA_ENV = new Set(['NODE_OPTIONS', 'UV_THREADPOOL_SIZE']);

let byDefault: Manifest[];
let allFeatures: Manifest[];

beforeAll(() => {
  ensureTools();
  byDefault = render();
  allFeatures = render({ values: [ALL_FEATURES] });
}, TOOLS_TIMEOUT_MS);

describe('roles', () => {
  it('renders api, router, sender-deliveries and one sender per default tier', () => {
    const names = ofKind(byDefault, 'Deployment').map((d) => d.metadata.name);
    expect(names.sort()).toEqual(
      ['api', 'router', 'sender-deliveries', ...DEFAULT_TIERS.map((t) => `sender-${t}`)].map(fullname).sort(),
    );
  });

  it.each([
    [['30s'], 1],
    [['1m', '5m', '30m', '2h', '12h', '1d'], 6],
    [['500ms', '90s', '2d'], 3],
  ])('follows config.retryTiers %j with %i tier Deployments', (tiers, count) => {
    const ms = render({ setJson: [`config.retryTiers=${JSON.stringify(tiers)}`] });
    const deployed = tierDeployments(ms);
    expect(deployed).toHaveLength(count);
    expect(deployed.map((d) => d.metadata.labels['hookstream.io/tier'])).toEqual(tiers);
    expect(deployed.map((d) => d.metadata.name)).toEqual(tiers.map((t) => fullname(`sender-${t}`)));
    // Three fixed roles besides the tiers.
    expect(ofKind(ms, 'Deployment')).toHaveLength(count + 3);
  });

  it('runs each role with its command line', () => {
    const args = (name: string) => container(one(byDefault, 'Deployment', fullname(name))).args;
    expect(args('api')).toEqual(['api']);
    expect(args('router')).toEqual(['router']);
    expect(args('sender-deliveries')).toEqual(['sender', '--tier', 'deliveries']);
    for (const tier of DEFAULT_TIERS) expect(args(`sender-${tier}`)).toEqual(['sender', '--tier', tier]);
  });

  it('renders HOOKSTREAM_RETRY_TIERS from the same list as the tier Deployments', () => {
    for (const ms of [
      byDefault,
      allFeatures,
      render({ setJson: ['config.retryTiers=["15s","45m","3h"]'] }),
    ]) {
      const fromDeployments = tierDeployments(ms).map((d) => container(d).args[2]);
      expect(configMapData(ms).HOOKSTREAM_RETRY_TIERS).toBe(fromDeployments.join(','));
      // The app reads the same tiers, with the same names, as the chart deployed.
      const parsed = parseTiers(configMapData(ms).HOOKSTREAM_RETRY_TIERS!).map((t) => t.name);
      expect(parsed).toEqual(fromDeployments);
    }
  });

  it('gives every resource a DNS-1123 name of at most 63 characters', () => {
    const ms = render({ setJson: ['config.retryTiers=["500ms","30s","90s","2d"]'], values: [ALL_FEATURES] });
    for (const m of ms) {
      expect(m.metadata.name, `${m.kind}/${m.metadata.name}`).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    }
  });

  it('refuses names longer than 63 characters instead of truncating them', () => {
    expect(renderError({ set: [`fullnameOverride=${'h'.repeat(55)}`] })).toMatch(/longer than 63 characters/);
  });

  it('applies per-role and per-tier overrides', () => {
    const ms = render({
      set: [
        'api.replicas=5',
        'router.replicas=3',
        'senderDeliveries.resources.limits.memory=1Gi',
        'tierSenders.replicas=2',
        'tierSenders.overrides.1h.replicas=4',
        'tierSenders.overrides.1h.resources.requests.cpu=750m',
      ],
    });
    const d = (name: string) => one(ms, 'Deployment', fullname(name));
    expect(d('api').spec.replicas).toBe(5);
    expect(d('router').spec.replicas).toBe(3);
    expect(container(d('sender-deliveries')).resources.limits.memory).toBe('1Gi');
    expect(d('sender-1m').spec.replicas).toBe(2);
    expect(d('sender-1h').spec.replicas).toBe(4);
    expect(container(d('sender-1h')).resources.requests).toEqual({ cpu: '750m', memory: '192Mi' });
    expect(container(d('sender-6h')).resources.requests.cpu).toBe('100m');
  });
});

describe('configuration', () => {
  it('puts only variables of src/config/config.ts, and no secret one, in the ConfigMap', () => {
    for (const ms of [byDefault, allFeatures]) {
      const keys = Object.keys(configMapData(ms));
      for (const key of keys) {
        expect(KNOWN_VARIABLES.has(key), `${key} is not in VARIABLES`).toBe(true);
        expect(SECRET_VARIABLES.has(key), `${key} is secret`).toBe(false);
      }
    }
  });

  it('puts every non-secret variable in the ConfigMap, with the app default where it has one', () => {
    const data = configMapData(byDefault);
    for (const v of VARIABLES) {
      if (SECRET_VARIABLES.has(v.name)) continue;
      expect(data, v.name).toHaveProperty(v.name);
      if ('default' in v) expect(data[v.name], v.name).toBe(v.default);
    }
  });

  it('renders settings the app accepts', () => {
    const secrets = {
      MONGODB_URI: 'mongodb://mongodb:27017/hookstream',
      HOOKSTREAM_ADMIN_API_KEY: 'chart-test-admin-key-0123456789abcdef',
      HOOKSTREAM_SECRET_KEY: 'ab'.repeat(32),
    };
    // all-features mounts CA, client certificate and passwords: the app reads them at the paths
    // the chart gives (here a stand-in for the mounted files).
    const mounted = (path: string) => {
      expect(path).toMatch(/^\/etc\/hookstream\/[a-z-]+\/(ca\.pem|tls\.crt|tls\.key|password)$/);
      if (path.endsWith('password')) return 'secret\n';
      return path.endsWith('.key') ? '-----BEGIN PRIVATE KEY-----\n' : '-----BEGIN CERTIFICATE-----\n';
    };
    const keyFile = container(one(allFeatures, 'Deployment', fullname('sender-5m'))).env.find(
      (e: { name: string }) => e.name === 'KAFKA_SSL_KEY_FILE',
    ).value;
    const config = loadConfig(
      { ...configMapData(allFeatures), ...secrets, KAFKA_SSL_KEY_FILE: keyFile },
      mounted,
    );
    expect(config.kafka.ssl).toMatchObject({
      ca: expect.any(String),
      cert: expect.any(String),
      key: expect.any(String),
    });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'hookstream',
      password: 'secret',
    });
    expect(config.schemaRegistry?.auth).toEqual({ username: 'hookstream', password: 'secret' });
    expect(config.tiers.map((t) => t.name)).toEqual(['30s', '5m', '1h', '6h', '12h']);
    expect(config.deliveryTimeoutMs).toBe(25_000);
    expect(config.kafka.brokers).toHaveLength(3);
    expect(loadConfig({ ...configMapData(byDefault), ...secrets }).schemaRegistryUrl).toBeNull();
  });

  it('maps values to variables', () => {
    const data = configMapData(
      render({
        set: ['config.topicPrefix=acme', 'config.deliveryTimeoutMs=15000', 'config.allowHttp=true'],
        setJson: ['config.kafkaBrokers=["a:9092","b:9093"]', 'config.eventTopics=["x","y"]'],
      }),
    );
    expect(data).toMatchObject({
      HOOKSTREAM_TOPIC_PREFIX: 'acme',
      HOOKSTREAM_DELIVERY_TIMEOUT_MS: '15000',
      HOOKSTREAM_ALLOW_HTTP: 'true',
      KAFKA_BROKERS: 'a:9092,b:9093',
      HOOKSTREAM_EVENT_TOPICS: 'x,y',
    });
  });

  it('reads configuration only from the ConfigMap and the secret variables only from a Secret', () => {
    for (const ms of [byDefault, allFeatures]) {
      const secretName = ofKind(ms, 'Secret').some((s) => s.metadata.name === RELEASE)
        ? RELEASE
        : 'hookstream-credentials';
      for (const d of ofKind(ms, 'Deployment')) {
        const c = container(d);
        expect(c.envFrom[0]).toEqual({ configMapRef: { name: RELEASE } });
        for (const e of c.env) {
          if (EXTRA_ENV.has(e.name)) continue;
          expect(KNOWN_VARIABLES.has(e.name), `${d.metadata.name}: ${e.name}`).toBe(true);
          expect(SECRET_VARIABLES.has(e.name), `${d.metadata.name}: ${e.name} is not secret`).toBe(true);
          if (e.name === 'KAFKA_SSL_KEY_FILE') {
            // A path to the mounted key, not the key.
            expect(e.value).toMatch(/^\/etc\/hookstream\/[a-z-]+\/tls\.key$/);
            continue;
          }
          expect(e.value).toBeUndefined();
          expect(e.valueFrom.secretKeyRef).toEqual({ name: secretName, key: e.name });
        }
      }
    }
  });

  it('gives each role exactly the secrets it needs', () => {
    // Besides the secrets, only NODE_OPTIONS (the heap cap, nodeOptions) is set in env.
    const keys = (name: string) =>
      container(one(byDefault, 'Deployment', fullname(name)))
        .env.map((e: { name: string }) => e.name)
        .filter((n: string) => n !== 'NODE_OPTIONS')
        .sort();
    expect(keys('api')).toEqual(['HOOKSTREAM_ADMIN_API_KEY', 'HOOKSTREAM_SECRET_KEY', 'MONGODB_URI']);
    expect(keys('router')).toEqual(['MONGODB_URI']);
    expect(keys('sender-deliveries')).toEqual(['HOOKSTREAM_SECRET_KEY', 'MONGODB_URI']);
    expect(keys('sender-6h')).toEqual(['HOOKSTREAM_SECRET_KEY', 'MONGODB_URI']);
  });

  it('creates the Secret from values, with the secret variables as keys', () => {
    const ms = render({
      set: [
        'secrets.mongodbUri=mongodb://u:p@db:27017/hs',
        `secrets.adminApiKey=${'k'.repeat(20)}`,
        `secrets.secretKey=${'0f'.repeat(32)}`,
      ],
    });
    const secret = one(ms, 'Secret', RELEASE);
    expect(Object.keys(secret.data).sort()).toEqual(CHART_SECRET_KEYS);
    for (const key of CHART_SECRET_KEYS) expect(SECRET_VARIABLES.has(key), key).toBe(true);
    expect(Buffer.from(secret.data.MONGODB_URI, 'base64').toString()).toBe('mongodb://u:p@db:27017/hs');
    // No key material is made up: empty values are left out.
    expect(one(byDefault, 'Secret', RELEASE).data).toEqual({});
  });

  it('uses existingSecret instead of creating one', () => {
    expect(ofKind(allFeatures, 'Secret')).toEqual([]);
  });

  it('rolls the pods when the configuration changes', () => {
    const checksum = (ms: Manifest[]) =>
      one(ms, 'Deployment', fullname('router')).spec.template.metadata.annotations['checksum/config'];
    expect(checksum(render({ set: ['config.logLevel=debug'] }))).not.toBe(checksum(byDefault));
  });
});

describe('pods', () => {
  it('run as uid 10001, non-root, read-only, without capabilities, with RuntimeDefault seccomp', () => {
    for (const ms of [byDefault, allFeatures]) {
      for (const w of workloads(ms)) {
        const where = `${w.kind}/${w.metadata.name}`;
        const pod = podSpec(w);
        expect(pod.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.automountServiceAccountToken, where).toBe(false);
        expect(pod.enableServiceLinks, where).toBe(false);
        const c = container(w);
        expect(c.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
        expect(tmp, where).toBeDefined();
        const volume = pod.volumes.find((v: { name: string }) => v.name === tmp.name);
        expect(volume.emptyDir, where).toBeDefined();
      }
    }
  });

  it.each([
    [undefined, 30],
    [25_000, 45],
    [10_500, 31],
    [120_000, 140],
  ])('leave deliveryTimeoutMs=%s plus a 20 s margin to shut down (%i s)', (timeoutMs, expected) => {
    const ms =
      timeoutMs === undefined ? byDefault : render({ set: [`config.deliveryTimeoutMs=${timeoutMs}`] });
    const timeout = Number(configMapData(ms).HOOKSTREAM_DELIVERY_TIMEOUT_MS);
    for (const d of ofKind(ms, 'Deployment')) {
      const grace = podSpec(d).terminationGracePeriodSeconds;
      expect(grace, d.metadata.name).toBe(expected);
      expect(grace * 1000).toBeGreaterThanOrEqual(timeout + 20_000);
    }
  });

  it('refuses a shutdown margin under 20 s', () => {
    expect(renderError({ set: ['gracefulShutdown.marginSeconds=5'] })).toMatch(/marginSeconds/);
  });

  it('probe /healthz and /readyz on ports the container declares; metrics everywhere, the API on the api role', () => {
    const ms = render({ set: ['config.metricsPort=9100', 'config.apiPort=8181'] });
    for (const d of ofKind(ms, 'Deployment')) {
      const c = container(d);
      const ports = Object.fromEntries(
        c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
      );
      expect(ports.metrics, d.metadata.name).toBe(9100);
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.startupProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
        expect(Object.keys(ports), d.metadata.name).toContain(probe.httpGet.port);
      }
    }
    expect(container(one(ms, 'Deployment', fullname('api'))).ports).toContainEqual({
      name: 'http',
      containerPort: 8181,
      protocol: 'TCP',
    });
    expect(container(one(ms, 'Deployment', fullname('router'))).ports).toHaveLength(1);
  });

  it('set resources on every container', () => {
    for (const w of workloads(byDefault)) {
      const r = container(w).resources;
      expect(r.requests.cpu, w.metadata.name).toBeDefined();
      expect(r.requests.memory, w.metadata.name).toBeDefined();
      expect(r.limits.memory, w.metadata.name).toBeDefined();
    }
  });
});

describe('services and disruption budgets', () => {
  it('expose the admin API on 8080 to the api pods only', () => {
    const svc = one(byDefault, 'Service', fullname('api'));
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    const selected = ofKind(byDefault, 'Deployment').filter((d) =>
      selects(svc.spec.selector, d.spec.template.metadata.labels),
    );
    expect(selected.map((d) => d.metadata.name)).toEqual([fullname('api')]);
  });

  it('expose every role on the metrics port through one headless Service', () => {
    const svc = one(byDefault, 'Service', fullname('metrics'));
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' }]);
    for (const d of ofKind(byDefault, 'Deployment')) {
      expect(selects(svc.spec.selector, d.spec.template.metadata.labels), d.metadata.name).toBe(true);
    }
    for (const j of ofKind(byDefault, 'Job')) {
      expect(selects(svc.spec.selector, j.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('give each Deployment one PodDisruptionBudget that selects only its pods', () => {
    for (const ms of [byDefault, allFeatures]) {
      const deployments = ofKind(ms, 'Deployment');
      const pdbs = ofKind(ms, 'PodDisruptionBudget');
      expect(pdbs).toHaveLength(deployments.length);
      for (const pdb of pdbs) {
        const selected = deployments.filter((d) =>
          selects(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels),
        );
        expect(selected.map((d) => d.metadata.name)).toEqual([pdb.metadata.name]);
      }
    }
    expect(one(allFeatures, 'PodDisruptionBudget', fullname('api')).spec).toMatchObject({ minAvailable: 1 });
    expect(
      ofKind(render({ set: ['router.podDisruptionBudget.enabled=false'] }), 'PodDisruptionBudget'),
    ).toHaveLength(6);
  });
});

describe('topics hook Job', () => {
  it('runs `topics create` before install and upgrade with the same settings as the roles', () => {
    for (const ms of [byDefault, allFeatures]) {
      const job = one(ms, 'Job', fullname('topics-create'));
      expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const c = container(job);
      expect(c.args).toEqual(['topics', 'create']);
      const data = configMapData(ms);
      const inline = Object.fromEntries(
        c.env
          .filter((e: { name: string; value?: string }) => e.value !== undefined && e.name in data)
          .map((e: { name: string; value: string }) => [e.name, e.value]),
      );
      expect(inline).toEqual(data);
      for (const e of c.env) expect(KNOWN_VARIABLES.has(e.name) || EXTRA_ENV.has(e.name), e.name).toBe(true);
      const mongo = c.env.find((e: { name: string }) => e.name === 'MONGODB_URI');
      expect(mongo.valueFrom.secretKeyRef.key).toBe('MONGODB_URI');
    }
    // The hook runs before the release's Secret exists: it reads a hook Secret, or existingSecret.
    const hookSecret = one(byDefault, 'Secret', fullname('topics-create'));
    expect(hookSecret.metadata.annotations['helm.sh/hook-weight']).toBe('-10');
    expect(
      container(one(allFeatures, 'Job', fullname('topics-create'))).env.find(
        (e: { name: string }) => e.name === 'MONGODB_URI',
      ).valueFrom.secretKeyRef.name,
    ).toBe('hookstream-credentials');
  });

  it('is optional', () => {
    const ms = render({ set: ['topicsJob.enabled=false'] });
    expect(ofKind(ms, 'Job')).toEqual([]);
    expect(ofKind(ms, 'Secret').map((s) => s.metadata.name)).toEqual([RELEASE]);
  });
});

describe('values schema and guards', () => {
  it.each([
    [['config.retryTierz=1m'], /retryTierz/],
    [['api.replica=2'], /replica/],
    [['keda.enabeld=true'], /enabeld/],
    [['config.logLevel=verbose'], /logLevel/],
    [['config.metricsPort=0'], /metricsPort/],
    [['tierSenders.overrides.7m.replicas=2'], /7m names no tier/],
    [['keda.enabled=true'], /keda.prometheus.serverAddress is required/],
    [['secrets.adminApiKey=short'], /adminApiKey/],
  ])('rejects --set %j', (set, message) => {
    expect(renderError({ set })).toMatch(message);
  });

  it.each([
    [['1m', '10m', '5m'], /must increase/],
    [['1m', '60s'], /must increase/],
    [['01m'], /retryTiers/],
    [['1.5h'], /retryTiers/],
    [[], /retryTiers/],
    [['1m', '1m'], /retryTiers/],
  ])('rejects config.retryTiers %j', (tiers, message) => {
    expect(renderError({ setJson: [`config.retryTiers=${JSON.stringify(tiers)}`] })).toMatch(message);
  });
});

describe('names shared with the app', () => {
  it('use the topic and group names of src/config/topics.ts', () => {
    // KEDA triggers carry the names; they must be the ones the app consumes with.
    const ms = allFeatures;
    const data = configMapData(ms);
    const names = topicNames(data.HOOKSTREAM_TOPIC_PREFIX!, parseTiers(data.HOOKSTREAM_RETRY_TIERS!));
    const triggers = (name: string) => one(ms, 'ScaledObject', fullname(name)).spec.triggers;
    for (const t of triggers('router')) expect(t.metadata.consumerGroup).toBe(names.routerGroup);
    expect(triggers('sender-deliveries')[0].metadata).toMatchObject({
      consumerGroup: names.senderGroup,
      topic: names.deliveries,
    });
    expect(tierDeployments(ms).map((d) => d.metadata.labels['hookstream.io/tier'])).toEqual(
      names.retry.map((r) => r.tier.name),
    );
  });
});
