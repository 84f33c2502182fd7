/**
 * hookstream roles as real child processes (`node bin/hookstream.js <role> …`), so that `kill -9`
 * is a real SIGKILL. Each process gets its own metrics port (for /readyz), and its stdout/stderr
 * (pino JSON lines) are appended to a log file per role, which the security scenario scans for
 * secrets. Everything started is killed after each test, even when it fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { waitFor } from '../../support/helpers.js';
import { freePort } from '../../support/ports.js';
import { REPO } from './stack.js';

export { freePort };

const BIN = join(REPO, 'bin/hookstream.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
  /** True when the test asked for it (kill/stop); false means the process died on its own. */
  readonly expected: boolean;
}

export class RoleProcess {
  readonly exits: Exit[] = [];
  #child: ChildProcess | null = null;
  #exited: Promise<Exit> | null = null;
  #log: WriteStream | null = null;
  #expectExit = false;
  metricsPort = 0;
  /** Start-ups, including restarts. */
  starts = 0;

  constructor(
    readonly name: string,
    readonly args: readonly string[],
    readonly env: Readonly<Record<string, string>>,
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Exits the test did not cause: a crash. */
  get crashes(): Exit[] {
    return this.exits.filter((e) => !e.expected);
  }

  /** Spawns the process and waits until /readyz answers 200. */
  async start(opts: { readyTimeoutMs?: number; waitReady?: boolean } = {}): Promise<this> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.metricsPort = await freePort();
    mkdirSync(join(this.logFile, '..'), { recursive: true });
    this.#log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [BIN, ...this.args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        ...this.env,
        HOOKSTREAM_METRICS_PORT: String(this.metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#expectExit = false;
    this.starts++;
    const log = this.#log;
    child.stdout!.on('data', (d: Buffer) => log.write(d));
    child.stderr!.on('data', (d: Buffer) => log.write(d));
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        const exit = { code, signal, at: Date.now(), expected: this.#expectExit };
        this.exits.push(exit);
        if (!exit.expected) process.stderr.write(`${this.name} exited unexpectedly: ${code ?? signal}\n`);
        resolve(exit);
      }),
    );
    if (opts.waitReady !== false) await this.waitReady(opts.readyTimeoutMs ?? 60_000);
    return this;
  }

  async ready(): Promise<boolean> {
    if (!this.running) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`, {
        signal: AbortSignal.timeout(3_000),
      });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited during start-up; see ${this.logFile}`);
        return this.ready();
      },
      { timeout: timeoutMs, interval: 200, message: `${this.name} ready (log: ${this.logFile})` },
    );
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, {
      signal: AbortSignal.timeout(5_000),
    });
    return res.text();
  }

  /** `kill -9`: no shutdown hooks, no final commit. */
  async kill9(): Promise<Exit | null> {
    return this.#signal('SIGKILL');
  }

  /** SIGTERM, as an orchestrator scaling down would send; SIGKILL after `graceMs`. */
  async stop(graceMs = 40_000): Promise<Exit | null> {
    if (!this.running) return null;
    const exited = this.#exited!;
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), graceMs);
    const exit = await this.#signal('SIGTERM');
    clearTimeout(timer);
    return exit ?? (await exited);
  }

  async #signal(signal: NodeJS.Signals): Promise<Exit | null> {
    if (!this.running) return null;
    this.#expectExit = true;
    this.#child!.kill(signal);
    return this.#exited!;
  }

  /** Lines of this role's log so far. */
  logText(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  close(): void {
    this.#log?.end();
    this.#log = null;
  }
}

const everyProcess = new Set<RoleProcess>();
process.once('exit', () => {
  for (const p of everyProcess) if (p.running) p.pid && process.kill(p.pid, 'SIGKILL');
});

/**
 * Role processes of one test, killed (SIGKILL) after it. `const roles = roleProcesses()` at the top
 * of a describe block.
 */
export function roleProcesses() {
  const mine: RoleProcess[] = [];
  afterEach(async () => {
    await Promise.all(mine.map((p) => p.kill9()));
    for (const p of mine) {
      p.close();
      everyProcess.delete(p);
    }
    mine.length = 0;
  });
  return {
    /** A role process (not started yet). `args`: e.g. `['sender', '--tier', 'all']`. */
    create(
      name: string,
      args: readonly string[],
      env: Readonly<Record<string, string>>,
      logDir: string,
    ): RoleProcess {
      const p = new RoleProcess(name, args, env, join(logDir, `${name}.log`));
      mine.push(p);
      everyProcess.add(p);
      return p;
    },
    all: (): readonly RoleProcess[] => mine,
  };
}
