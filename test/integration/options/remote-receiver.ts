/**
 * A receiver in a process of its own, answering 200 and reporting each request's arrival time,
 * path and body as a JSON line. Arrival times measured in the test's own process share its event
 * loop with the senders, so a loop stall bunches requests that left well apart; a separate
 * process measures what a receiver sees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Arrival {
  readonly path: string;
  readonly at: number;
  readonly body: string;
}

const SCRIPT = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const at = Date.now();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    process.stdout.write(JSON.stringify({ path: req.url, at, body: Buffer.concat(chunks).toString('utf8') }) + '\\n');
    res.writeHead(200).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

export class RemoteReceiver {
  readonly arrivals: Arrival[] = [];
  url = '';
  #child: ChildProcess | null = null;

  async start(): Promise<this> {
    const child = spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#child = child;
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
      lines.on('line', (line) => {
        const msg = JSON.parse(line);
        if (typeof msg.port === 'number') resolve(msg.port);
        else this.arrivals.push(msg as Arrival);
      });
    });
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  at(path: string): Arrival[] {
    return this.arrivals.filter((a) => a.path === path);
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
