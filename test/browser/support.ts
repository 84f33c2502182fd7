/**
 * The console's browser suite: a real `hookstream all` process (built CLI) on topics and a database
 * of its own, a test receiver, and Debian's chromium driven by playwright-core through
 * `executablePath` (no browser is downloaded). Screenshots go to test-artifacts/console/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type resources, waitFor } from '../support/helpers.js';
import { type PipelineEnv, pipelineEnv } from '../support/pipeline.js';
import { freePort } from '../support/ports.js';
import { type RoleProcess, spawnRole, stopRole } from '../support/processes.js';

export const ADMIN_KEY = 'console-admin-key-0123456789-abcdefgh';
/** Debian's chromium package; CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

export interface ConsoleStack {
  readonly base: string;
  readonly p: PipelineEnv;
  readonly proc: RoleProcess;
  readonly browser: Browser;
  /** Admin API call over HTTP. */
  // biome-ignore lint/suspicious/noExplicitAny: test answers are inspected field by field
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
}

export async function startConsoleStack(r: ReturnType<typeof resources>): Promise<ConsoleStack> {
  if (!existsSync(fileURLToPath(new URL('../../dist/console/assets.js', import.meta.url)))) {
    throw new Error('dist/ is missing the console: run `npm run build` first (npm test does)');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  // One 2 s tier with a 2 s budget: a failed first attempt is dead-lettered at once (status failed).
  const p = await pipelineEnv(r, {
    HOOKSTREAM_RETRY_TIERS: '2s',
    HOOKSTREAM_RETRY_BUDGET: '2s',
    HOOKSTREAM_ADMIN_API_KEY: ADMIN_KEY,
    HOOKSTREAM_API_PORT: String(port),
    HOOKSTREAM_API_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  const base = `http://127.0.0.1:${port}`;
  const proc = r.add(spawnRole(['all'], p.env), (x) => stopRole(x));
  await waitFor(() => /"msg":"hookstream started"/.test(proc.output()) || proc.child.exitCode !== null, {
    timeout: 90_000,
    message: 'hookstream all started',
  });
  if (proc.child.exitCode !== null) throw new Error(`hookstream all exited:\n${proc.output().slice(-3000)}`);
  const browser = r.add(
    await chromium.launch({
      executablePath: CHROMIUM,
      // Root (CI containers) cannot use chromium's sandbox.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    }),
    (b) => b.close(),
  );
  const call = async (method: string, path: string, body?: unknown, key = ADMIN_KEY) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  return { base, p, proc, browser, call };
}

/** A fresh browser context (its own sessionStorage) with a page that records what it requested. */
export async function openPage(stack: ConsoleStack, viewport = { width: 1280, height: 900 }) {
  const context = await stack.browser.newContext({ viewport });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return { context, page, requests, problems };
}

export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-text').waitFor({ state: 'visible' });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
