/**
 * Operating the chart: disruption budgets, the extra* hooks, Kafka TLS/SASL and schema-registry
 * wiring, the NetworkPolicy, `helm test`, image digests, memory defaults and the dashboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_FEATURES,
  CHART,
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
  workloads,
  type Yaml,
} from './helm.js';

let byDefault: Manifest[];
let allFeatures: Manifest[];

beforeAll(() => {
  ensureTools();
  byDefault = render();
  allFeatures = render({ values: [ALL_FEATURES] });
}, TOOLS_TIMEOUT_MS);

const byName = (list: Yaml[] | undefined, name: string): Yaml => list?.find((x: Yaml) => x.name === name);

describe('PodDisruptionBudget', () => {
  it('renders maxUnavailable 0 as 0 (no voluntary eviction), not as the default 1', () => {
    const ms = render({ set: ['router.podDisruptionBudget.maxUnavailable=0'] });
    expect(one(ms, 'PodDisruptionBudget', fullname('router')).spec.maxUnavailable).toBe(0);
    expect(one(ms, 'PodDisruptionBudget', fullname('api')).spec.maxUnavailable).toBe(1);
    expect(one(allFeatures, 'PodDisruptionBudget', fullname('sender-deliveries')).spec.maxUnavailable).toBe(
      '25%',
    );
  });
});

describe('extraEnv, extraEnvFrom, extraVolumes, extraVolumeMounts', () => {
  it('reach every role and the topics Job; a role adds its own after the global ones', () => {
    for (const w of workloads(allFeatures)) {
      const c = container(w);
      const where = w.metadata.name;
      expect(byName(c.env, 'NODE_OPTIONS'), where).toEqual({
        name: 'NODE_OPTIONS',
        value: '--max-old-space-size=600',
      });
      expect(c.envFrom, where).toContainEqual({ configMapRef: { name: 'otel-settings' } });
      expect(byName(c.volumeMounts, 'corporate-ca'), where).toEqual({
        name: 'corporate-ca',
        mountPath: '/etc/ssl/corporate',
        readOnly: true,
      });
      expect(byName(podSpec(w).volumes, 'corporate-ca'), where).toEqual({
        name: 'corporate-ca',
        configMap: { name: 'corporate-ca' },
      });
    }
    const router = container(one(allFeatures, 'Deployment', fullname('router'))).env.map((e: Yaml) => e.name);
    expect(router.indexOf('UV_THREADPOOL_SIZE')).toBeGreaterThan(router.indexOf('NODE_OPTIONS'));
    expect(byName(container(one(allFeatures, 'Deployment', fullname('api'))).env, 'UV_THREADPOOL_SIZE')).toBe(
      undefined,
    );
  });

  it('add nothing by default', () => {
    const c = container(one(byDefault, 'Deployment', fullname('sender-deliveries')));
    expect(c.envFrom).toEqual([{ configMapRef: { name: RELEASE } }]);
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('are checked by the schema', () => {
    expect(renderError({ setJson: ['extraEnv=[{"value":"x"}]'] })).toMatch(/name/);
    expect(renderError({ setJson: ['api.extraVolumeMounts=[{"name":"x"}]'] })).toMatch(/mountPath/);
  });
});

describe('Kafka TLS/SASL and schema registry', () => {
  const mounts = (m: Manifest) =>
    container(m).volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];

  it('mount CA, client certificate and passwords read-only where the *_FILE variables point', () => {
    const data = configMapData(allFeatures);
    const fileVars = [
      'KAFKA_SSL_CA_FILE',
      'KAFKA_SSL_CERT_FILE',
      'KAFKA_SASL_PASSWORD_FILE',
      'SCHEMA_REGISTRY_PASSWORD_FILE',
      'SCHEMA_REGISTRY_CA_FILE',
    ];
    for (const w of workloads(allFeatures)) {
      const keyFile = byName(container(w).env, 'KAFKA_SSL_KEY_FILE') as { value: string } | undefined;
      for (const path of [...fileVars.map((v) => data[v]!), keyFile!.value]) {
        const mount = mounts(w).find((m) => path.startsWith(`${m.mountPath}/`));
        expect(mount, `${w.metadata.name}: ${path}`).toMatchObject({ readOnly: true });
        const volume = byName(podSpec(w).volumes, mount!.name) as Yaml;
        const source = volume.secret ?? volume.configMap;
        // The file name inside the mount is the item's path.
        expect(source.items.map((i: Yaml) => i.path)).toContain(path.slice(mount!.mountPath.length + 1));
        expect(source.defaultMode).toBe(0o440);
      }
    }
    expect(data).toMatchObject({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'hookstream',
    });
  });

  it('take passwords and keys from existing Secrets and a CA from a Secret or a ConfigMap', () => {
    const pod = podSpec(one(allFeatures, 'Deployment', fullname('router')));
    expect(byName(pod.volumes, 'kafka-sasl')).toEqual({
      name: 'kafka-sasl',
      secret: {
        secretName: 'kafka-credentials',
        items: [{ key: 'sasl-password', path: 'password' }],
        defaultMode: 288,
      },
    });
    expect(byName(pod.volumes, 'kafka-client-cert').secret.secretName).toBe('kafka-client-tls');
    expect(byName(pod.volumes, 'kafka-ca').configMap).toMatchObject({
      name: 'kafka-ca',
      items: [{ key: 'ca.pem', path: 'ca.pem' }],
    });
    expect(byName(pod.volumes, 'schema-registry-ca').secret.secretName).toBe('schema-registry-ca');
    const ms = render({ set: ['kafka.tls.enabled=true', 'kafka.tls.ca.secretName=kafka-ca-secret'] });
    expect(byName(podSpec(one(ms, 'Deployment', fullname('api'))).volumes, 'kafka-ca').secret).toMatchObject({
      secretName: 'kafka-ca-secret',
      items: [{ key: 'ca.crt', path: 'ca.pem' }],
    });
    // No secret value in any rendered manifest: only names of Secrets.
    const text = JSON.stringify(allFeatures);
    expect(text).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)/);
  });

  it('leave TLS and SASL off by default, with empty file variables', () => {
    const data = configMapData(byDefault);
    expect(data).toMatchObject({
      KAFKA_SSL: 'false',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'true',
      KAFKA_SSL_CA_FILE: '',
      KAFKA_SASL_MECHANISM: '',
      KAFKA_SASL_PASSWORD_FILE: '',
    });
    expect(
      byName(container(one(byDefault, 'Deployment', fullname('router'))).env, 'KAFKA_SSL_KEY_FILE'),
    ).toBe(undefined);
  });

  it.each([
    [['kafka.tls.ca.secretName=a', 'kafka.tls.ca.configMapName=b', 'kafka.tls.enabled=true'], /not both/],
    [['kafka.tls.ca.configMapName=b'], /kafka.tls.enabled is false/],
    [['kafka.tls.clientCert.secretName=c'], /kafka.tls.enabled is false/],
    [['kafka.sasl.mechanism=scram-sha-256', 'kafka.sasl.username=u'], /passwordSecret.name/],
    [['kafka.sasl.mechanism=gssapi'], /mechanism/],
    [['kafka.sasl.username=u'], /mechanism is empty/],
    [['schemaRegistry.username=u'], /go together/],
    [['schemaRegistry.username=u', 'schemaRegistry.passwordSecret.name=s'], /schemaRegistryUrl is empty/],
  ])('refuses %j', (set, message) => {
    expect(renderError({ set })).toMatch(message);
  });
});

describe('NetworkPolicy', () => {
  it('is off by default', () => {
    expect(ofKind(byDefault, 'NetworkPolicy')).toEqual([]);
  });

  it('allows egress to DNS, receivers on 443, the Kafka and MongoDB ports, the registry and the release', () => {
    const np = one(allFeatures, 'NetworkPolicy', RELEASE);
    expect(np.spec.policyTypes).toEqual(['Egress']);
    // It selects every pod of the release.
    for (const w of workloads(allFeatures))
      expect(selects(np.spec.podSelector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
    const rules = np.spec.egress as Yaml[];
    const ports = (r: Yaml) => r.ports.map((p: Yaml) => `${p.port}/${p.protocol}`);
    expect(rules.map(ports)).toEqual([
      ['53/UDP', '53/TCP'],
      ['443/TCP'],
      ['9092/TCP'],
      ['27017/TCP'],
      ['8081/TCP'],
      ['8080/TCP', '9464/TCP'],
    ]);
    expect(rules[1].to).toEqual([{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }]);
    expect(rules[2].to).toBeUndefined(); // brokers anywhere, on their ports only
    expect(rules[3].to).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mongodb' } } }]);
  });

  it('follows the configured brokers, MongoDB port, registry URL and extra rules', () => {
    const ms = render({
      set: ['networkPolicy.enabled=true', 'config.schemaRegistryUrl=https://registry.example.com/x'],
      setJson: [
        'config.kafkaBrokers=["b-1.msk:9096","b-2.msk:9096","c:9094"]',
        'networkPolicy.mongodb.ports=[27018]',
        'networkPolicy.webhookPorts=[443,8443]',
        'networkPolicy.extraEgress=[{"ports":[{"port":4317,"protocol":"TCP"}]}]',
      ],
    });
    const rules = one(ms, 'NetworkPolicy', RELEASE).spec.egress as Yaml[];
    expect(rules.map((r) => r.ports.map((p: Yaml) => p.port))).toEqual([
      [53, 53],
      [443, 8443],
      [9096, 9094],
      [27018],
      [443],
      [8080, 9464],
      [4317],
    ]);
  });
});

describe('helm test', () => {
  it('calls /readyz of the admin API and of every pod behind the metrics Service', () => {
    const pod = one(byDefault, 'Pod', fullname('test-readyz'));
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.restartPolicy).toBe('Never');
    const c = pod.spec.containers[0];
    expect(c.image).toBe(container(one(byDefault, 'Deployment', fullname('api'))).image);
    expect(c.command).toEqual(['node', '-e']);
    const script: string = c.args[0];
    expect(script).toContain(`http://${fullname('api')}:8080/readyz`);
    expect(script).toContain(`dns.lookup('${fullname('metrics')}', { all: true })`);
    expect(script).toContain(':9464/readyz');
    expect(script).toMatch(/r\.status !== 200\) process\.exitCode = 1/);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(ofKind(render({ set: ['tests.enabled=false'] }), 'Pod')).toEqual([]);
  });

  it('is a script node can parse', () => {
    const script: string = one(byDefault, 'Pod', fullname('test-readyz')).spec.containers[0].args[0];
    expect(() => new Function('require', script)).not.toThrow();
  });
});

describe('image', () => {
  it('is pinned by digest when one is given, by tag otherwise', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const ms = render({
      set: ['image.repository=registry.example.com/hookstream', `image.digest=${digest}`, 'image.tag=9.9.9'],
    });
    for (const w of [...workloads(ms), ...ofKind(ms, 'Pod')]) {
      const c = w.kind === 'Pod' ? w.spec.containers[0] : container(w);
      expect(c.image, w.metadata.name).toBe(`registry.example.com/hookstream@${digest}`);
    }
    expect(container(one(byDefault, 'Deployment', fullname('router'))).image).toBe('hookstream:0.1.0');
    expect(renderError({ set: ['image.digest=sha256:short'] })).toMatch(/digest/);
  });
});

describe('memory defaults', () => {
  it('give senders 512Mi, above the peak measured with the heap cap, and say so in values.yaml', () => {
    for (const name of ['sender-deliveries', 'sender-1m', 'sender-6h'])
      expect(container(one(byDefault, 'Deployment', fullname(name))).resources.limits.memory, name).toBe(
        '512Mi',
      );
    const values = readFileSync(join(CHART, 'values.yaml'), 'utf8');
    expect(values).toMatch(/203-242 MB/);
  });

  it('every workload gets the V8 heap cap of the image (NODE_OPTIONS), unless extraEnv sets its own or it is empty', () => {
    const image = /^ENV NODE_OPTIONS="([^"]+)"$/m.exec(readFileSync(join(CHART, '../../Dockerfile'), 'utf8'));
    expect(image?.[1]).toMatch(/--max-old-space-size=\d+/);
    for (const w of workloads(byDefault))
      expect(byName(container(w).env, 'NODE_OPTIONS'), w.metadata.name).toEqual({
        name: 'NODE_OPTIONS',
        value: image![1],
      });
    for (const w of workloads(allFeatures)) {
      const own = container(w).env.filter((e: Yaml) => e.name === 'NODE_OPTIONS');
      expect(own, w.metadata.name).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=600' }]);
    }
    for (const w of workloads(render({ set: ['nodeOptions='] })))
      expect(byName(container(w).env, 'NODE_OPTIONS'), w.metadata.name).toBeUndefined();
  });
});

describe('Grafana dashboard', () => {
  it('is an opt-in ConfigMap with the grafana_dashboard label holding the dashboard JSON', () => {
    expect(ofKind(byDefault, 'ConfigMap').map((c) => c.metadata.name)).toEqual([RELEASE]);
    const cm = one(allFeatures, 'ConfigMap', fullname('dashboard'));
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'hookstream' });
    const json = JSON.parse(cm.data['hookstream.json']);
    expect(json).toEqual(JSON.parse(readFileSync(join(CHART, 'dashboards/hookstream.json'), 'utf8')));
    expect(json.uid).toBe('hookstream');
  });
});
