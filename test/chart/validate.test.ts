/**
 * helm lint and strict kubernetes-validate of both renders (the checks of scripts/chart-check.sh),
 * plus NOTES.txt, which `helm template` does not render.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_FEATURES,
  CHART,
  ensureTools,
  fullname,
  helm,
  K8S_VERSION,
  kubernetesValidate,
  type RenderOptions,
  render,
  renderRaw,
  TOOLS_TIMEOUT_MS,
} from './helm.js';

beforeAll(() => {
  ensureTools();
}, TOOLS_TIMEOUT_MS);

const VARIANTS: [string, RenderOptions][] = [
  ['default', {}],
  ['all-features', { values: [ALL_FEATURES] }],
];

describe.each(VARIANTS)('%s values', (_name, opts) => {
  it('pass helm lint --strict', () => {
    const args = ['lint', CHART, '--strict', '--kube-version', K8S_VERSION];
    for (const f of opts.values ?? []) args.push('--values', f);
    const r = helm(args);
    expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
    expect(r.ok).toBe(true);
  });

  it(`render manifests valid for Kubernetes ${K8S_VERSION} (strict kubernetes-validate)`, () => {
    const r = renderRaw(opts);
    expect(r.ok, r.stderr).toBe(true);
    const v = kubernetesValidate(r.stdout);
    expect(v.ok, v.stderr).toBe(true);
    expect(v.stderr).toMatch(/\d+ valid, 0 invalid/);
  });
});

describe('kubernetes-validate', () => {
  it('fails on a field Kubernetes does not know and on a kind it has no schema for', () => {
    const good = renderRaw().stdout;
    const unknownField = good.replace('revisionHistoryLimit: 5', 'revisionHistoryLimit: 5\n  replicaz: 3');
    expect(unknownField).not.toBe(good);
    const bad = kubernetesValidate(unknownField);
    expect(bad.ok).toBe(false);
    expect(bad.stderr).toContain("'replicaz' was unexpected");

    const unknownKind = kubernetesValidate(
      `${good}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n`,
    );
    expect(unknownKind.ok).toBe(false);
    expect(unknownKind.stderr).toContain('Widget');
  });
});

describe('NOTES.txt', () => {
  /** `helm template` skips NOTES.txt: render it through a ConfigMap in a copy of the chart. */
  function notes(opts: RenderOptions = {}): string {
    const copy = join(mkdtempSync(join(tmpdir(), 'hookstream-chart-')), 'hookstream');
    cpSync(CHART, copy, { recursive: true });
    // .Files cannot read templates/: copy the text beside them.
    cpSync(join(CHART, 'templates/NOTES.txt'), join(copy, 'notes-source.txt'));
    writeFileSync(
      join(copy, 'templates/zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n' +
        '  notes: {{ tpl (.Files.Get "notes-source.txt") . | quote }}\n',
    );
    const cm = render({ ...opts, chart: copy }).find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === 'notes',
    );
    return cm!.data.notes as string;
  }

  it('tells how to reach the API and watch consumer lag, and warns about missing secrets', () => {
    const text = notes();
    expect(text).toContain(`port-forward svc/${fullname('api')} 8080:8080`);
    expect(text).toContain(`exec deploy/${fullname('router')} -- node /app/bin/hookstream.js lag`);
    expect(text).toContain('Retry tiers (HOOKSTREAM_RETRY_TIERS): 1m,10m,1h,6h');
    expect(text).toMatch(/WARNING: not set: secrets.mongodbUri/);
  });

  it('has no warning when an existing Secret is used, and names the autoscalers', () => {
    const text = notes({ values: [ALL_FEATURES] });
    expect(text).not.toContain('WARNING');
    expect(text).toContain(`${fullname('sender-30s')}  hookstream sender --tier 30s  (scaled by KEDA)`);
  });
});
