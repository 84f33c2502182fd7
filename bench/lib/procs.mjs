/**
 * Child processes of the benchmark — hookstream roles, receiver, ceiling and naive drivers — and
 * their resource use, read from /proc: CPU seconds (utime + stime) and resident memory (VmRSS,
 * and the kernel's own peak, VmHWM).
 */
import { fork, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CLK_TCK = 100; // getconf CLK_TCK on Linux/x86-64 and arm64

/** CPU seconds and memory (MB) of one process now; null when it is gone. */
export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpu, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples a set of named processes every `everyMs`: CPU used since `mark()`, peak RSS, and an RSS
 * time series (for the memory-flatness check of scenario d).
 */
export class Sampler {
  #timer = null;
  #procs = new Map();
  series = [];
  #t0 = Date.now();

  add(name, pid) {
    const s = procSample(pid);
    this.#procs.set(name, {
      pid,
      cpu0: s?.cpu ?? 0,
      cpu: s?.cpu ?? 0,
      peakMb: s?.hwmMb ?? 0,
      rssMb: s?.rssMb ?? 0,
    });
  }

  start(everyMs = 250) {
    this.#t0 = Date.now();
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
    return this;
  }

  sample() {
    const point = { t: (Date.now() - this.#t0) / 1000 };
    for (const [name, p] of this.#procs) {
      const s = procSample(p.pid);
      if (!s) continue;
      p.cpu = s.cpu;
      p.rssMb = s.rssMb;
      p.peakMb = Math.max(p.peakMb, s.hwmMb, s.rssMb);
      point[name] = Math.round(s.rssMb * 10) / 10;
    }
    this.series.push(point);
  }

  /** Restart the CPU count (e.g. once the processes are ready, so start-up is not counted). */
  mark() {
    this.sample();
    for (const p of this.#procs.values()) p.cpu0 = p.cpu;
    this.#t0 = Date.now();
    this.series = [];
  }

  stop() {
    this.sample();
    clearInterval(this.#timer);
  }

  /** {name: {cpuS, peakMb, rssMb}} */
  result() {
    const out = {};
    for (const [name, p] of this.#procs) {
      out[name] = {
        cpuS: Math.round((p.cpu - p.cpu0) * 100) / 100,
        peakMb: Math.round(p.peakMb),
        rssMb: Math.round(p.rssMb),
      };
    }
    return out;
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node bin/hookstream.js <args…>` with `env` (from `root`, another build, when given);
 * output goes to `logPath`.
 */
export function startRole(args, env, logPath, nodeArgs = [], root = null) {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, 'bin/hookstream.js', ...args], {
    ...(root ? { cwd: root } : {}),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    pid: child.pid,
    exited,
    /** SIGTERM, then SIGKILL after `graceMs`. */
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/** Polls `http://127.0.0.1:<port>/readyz` until 200; throws if the process exits or time runs out. */
export async function waitReady(role, port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (role.child.exitCode !== null)
      throw new Error(
        `hookstream ${role.child.spawnargs.slice(2).join(' ')} exited with ${role.child.exitCode}`,
      );
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`hookstream ${role.child.spawnargs.slice(2).join(' ')} not ready after ${timeoutMs} ms`);
}

/**
 * Reads metrics (each summed over its label sets) from a role's /metrics in one request: a number
 * for one name, an array for an array of names; null if the role does not answer.
 */
export async function scrape(port, names) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => null);
  if (text === null) return null;
  const list = Array.isArray(names) ? names : [names];
  const sums = list.map(() => 0);
  for (const line of text.split('\n')) {
    list.forEach((name, i) => {
      if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
        sums[i] += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    });
  }
  return Array.isArray(names) ? sums : sums[0];
}

/** Every label set of one metric from a role's /metrics: [{labels: {…}, value}]; null if unreachable. */
export async function scrapeLabeled(port, name) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => null);
  if (text === null) return null;
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = {};
    for (const m of line.slice(name.length + 1, line.lastIndexOf('}')).matchAll(/(\w+)="([^"]*)"/g)) {
      labels[m[1]] = m[2];
    }
    out.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return out;
}

/** A forked helper (receiver, ceiling, naive) with request/reply over IPC. */
export function forkHelper(script, logPath, execArgv = []) {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = fork(script, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid,
    exited,
    /** Sends `msg` and resolves with the next message of type `replyType`. */
    ask(msg, replyType) {
      return new Promise((resolve, reject) => {
        const onMessage = (m) => {
          if (m.type !== replyType) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m);
        };
        const onExit = (code) => reject(new Error(`${script} exited (${code}); see ${logPath}`));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(msg);
      });
    },
    /** Disconnecting IPC makes the helper exit by itself (flushing a CPU profile); SIGKILL after 10 s. */
    async stop() {
      if (child.exitCode !== null) return;
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat). */
export function machineBusy() {
  return machineCpu().busy;
}

/**
 * CPU seconds of the whole machine so far (all cores; /proc/stat): busy, and stolen by the
 * hypervisor for other virtual machines (a VM's noise that no process list shows).
 */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / CLK_TCK, steal: (steal ?? 0) / CLK_TCK };
}

/**
 * Waits (up to `maxMs`) until the machine's CPU not used by `ours` pids stays under `share` of all
 * cores for 3 s in a row: other people's work on a shared machine skews every figure.
 * Returns the share of the last 3 s window.
 */
export async function waitQuiet(oursPids, { share = 0.15, maxMs = 120_000, cores = 2 } = {}) {
  const deadline = Date.now() + maxMs;
  let last = 1;
  for (;;) {
    const t0 = Date.now();
    const b0 = machineBusy();
    const o0 = oursPids.reduce((a, pid) => a + (procSample(pid)?.cpu ?? 0), 0);
    await sleep(3_000);
    const busy = machineBusy() - b0;
    const ours = oursPids.reduce((a, pid) => a + (procSample(pid)?.cpu ?? 0), 0) - o0;
    last = Math.max(0, busy - ours) / (((Date.now() - t0) / 1000) * cores);
    if (last < share || Date.now() > deadline) return last;
  }
}
