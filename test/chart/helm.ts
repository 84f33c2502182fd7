/**
 * Renders helm/hookstream with the helm that scripts/chart-tools.sh installs, and parses the YAML.
 * Everything runs offline; no cluster is needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = join(REPO, 'helm/hookstream');
export const ALL_FEATURES = join(CHART, 'ci/all-features-values.yaml');
/** Must match scripts/chart-check.sh. */
export const K8S_VERSION = '1.30.0';
export const RELEASE = 'hookstream';
export const NAMESPACE = 'hookstream';

/** First run builds helm from the Go module proxy: minutes, not seconds. */
export const TOOLS_TIMEOUT_MS = 15 * 60_000;

export interface Tools {
  readonly helm: string;
  readonly python: string;
}

let tools: Tools | undefined;

/** Runs scripts/chart-tools.sh once per test file (idempotent, locked against concurrent runs). */
export function ensureTools(): Tools {
  if (tools) return tools;
  const out = execFileSync('bash', [join(REPO, 'scripts/chart-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: TOOLS_TIMEOUT_MS,
  });
  const field = (name: string): string => {
    const line = out.split('\n').find((l) => l.startsWith(`${name}=`));
    if (!line) throw new Error(`scripts/chart-tools.sh printed no ${name}= line:\n${out}`);
    return line.slice(name.length + 1);
  };
  tools = { helm: field('helm'), python: field('python') };
  return tools;
}

/** Rendered YAML is free-form; tests navigate it as the chart writes it. */
// biome-ignore lint/suspicious/noExplicitAny: the one escape hatch, named.
export type Yaml = any;

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Yaml };
  [k: string]: Yaml;
};

export interface RenderOptions {
  /** Extra values files (e.g. ALL_FEATURES). */
  readonly values?: readonly string[];
  /** `--set key=value` pairs. */
  readonly set?: readonly string[];
  /** `--set-json key=json` pairs. */
  readonly setJson?: readonly string[];
  /** Another chart directory (a patched copy). */
  readonly chart?: string;
}

function templateArgs(opts: RenderOptions): string[] {
  const args = [
    'template',
    RELEASE,
    opts.chart ?? CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    K8S_VERSION,
  ];
  for (const f of opts.values ?? []) args.push('--values', f);
  for (const s of opts.set ?? []) args.push('--set', s);
  for (const s of opts.setJson ?? []) args.push('--set-json', s);
  return args;
}

export interface RawRender {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function renderRaw(opts: RenderOptions = {}): RawRender {
  const r = spawnSync(ensureTools().helm, templateArgs(opts), { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]?.message}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** Renders and parses; throws with helm's message when rendering fails. */
export function render(opts: RenderOptions = {}): Manifest[] {
  const r = renderRaw(opts);
  if (!r.ok) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** Renders expecting failure; returns helm's error message. */
export function renderError(opts: RenderOptions): string {
  const r = renderRaw(opts);
  if (r.ok) throw new Error(`helm template succeeded but should have failed (${JSON.stringify(opts)})`);
  return r.stderr;
}

export function helm(args: readonly string[]): RawRender {
  const r = spawnSync(ensureTools().helm, args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Runs scripts/chart-check.sh validate on the given YAML text (strict kubernetes-validate). */
export function kubernetesValidate(yamlText: string): RawRender {
  const dir = mkdtempSync(join(tmpdir(), 'hookstream-chart-'));
  const file = join(dir, 'render.yaml');
  writeFileSync(file, yamlText);
  const r = spawnSync('bash', [join(REPO, 'scripts/chart-check.sh'), 'validate', file], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

// ---- queries ----------------------------------------------------------------------------------

export const ofKind = (ms: readonly Manifest[], kind: string): Manifest[] =>
  ms.filter((m) => m.kind === kind);

export function one(ms: readonly Manifest[], kind: string, name: string): Manifest {
  const found = ms.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) {
    const names = ofKind(ms, kind).map((m) => m.metadata.name);
    throw new Error(`expected one ${kind} named ${name}, found ${found.length} (have: ${names.join(', ')})`);
  }
  return found[0]!;
}

export const fullname = (component: string): string => `${RELEASE}-${component}`;

export function configMapData(ms: readonly Manifest[]): Record<string, string> {
  return one(ms, 'ConfigMap', RELEASE).data as Record<string, string>;
}

/** The Deployments of tier senders (not sender-deliveries), with their tier label. */
export function tierDeployments(ms: readonly Manifest[]): Manifest[] {
  return ofKind(ms, 'Deployment').filter((d) => {
    const tier = d.metadata.labels?.['hookstream.io/tier'];
    return tier !== undefined && tier !== 'deliveries';
  });
}

/** Deployments and the hook Job: everything that runs the app. */
export function workloads(ms: readonly Manifest[]): Manifest[] {
  return [...ofKind(ms, 'Deployment'), ...ofKind(ms, 'Job')];
}

export function podSpec(m: Manifest): Yaml {
  return m.spec.template.spec;
}

export function container(m: Manifest): Yaml {
  const cs = podSpec(m).containers;
  if (cs.length !== 1)
    throw new Error(`${m.kind}/${m.metadata.name} has ${cs.length} containers, expected 1`);
  return cs[0];
}

/** Labels selector ⊆ labels. */
export function selects(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
