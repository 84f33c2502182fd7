import { describe, expect, it } from 'vitest';
import { Budget, InFlight, SLOW_LANE_FACTOR } from '../../../src/kafka/in-flight.js';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

describe('Budget', () => {
  it('grants in order, and a large request is not starved by small ones behind it', async () => {
    const b = new Budget(100);
    await b.acquire(60);
    const order: string[] = [];
    const big = b.acquire(80).then(() => order.push('big'));
    const small = b.acquire(10).then(() => order.push('small'));
    await tick();
    expect(order).toEqual([]); // small would fit, but waits behind big
    b.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(b.used).toBe(90);
  });

  it('grants a request larger than the whole budget when the budget is empty', async () => {
    const b = new Budget(100);
    await b.acquire(10);
    let granted = false;
    const huge = b.acquire(500).then(() => (granted = true));
    await tick();
    expect(granted).toBe(false);
    b.release(10);
    await huge;
    expect(b.used).toBe(500);
  });

  it('calls the heartbeat while waiting, and an abort ends the wait and frees its place', async () => {
    const b = new Budget(1);
    await b.acquire(1);
    let beats = 0;
    const controller = new AbortController();
    const waiting = b.acquire(1, {
      whileWaiting: async () => void beats++,
      signal: controller.signal,
      tickMs: 5,
    });
    await tick(40);
    expect(beats).toBeGreaterThan(2);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(b.waiting).toBe(0);
    b.release(1);
    expect(b.tryAcquire(1)).toBe(true);
  });
});

describe('InFlight', () => {
  it('holds bytes until done, the window slot until attempted', async () => {
    const bytes = new Budget(1_000);
    const f = new InFlight(bytes, { window: 1, slowAfterMs: 10_000 });
    const t = await f.admit(400);
    expect([f.attempts, bytes.used]).toEqual([1, 400]);
    let second = false;
    const next = f.admit(400).then((x) => {
      second = true;
      return x;
    });
    await tick();
    expect(second).toBe(false); // window full
    t.attempted();
    const t2 = await next;
    expect([f.attempts, bytes.used]).toEqual([1, 800]);
    t.done();
    t.done(); // idempotent
    expect(bytes.used).toBe(400);
    t2.done();
    expect([f.attempts, bytes.used]).toEqual([0, 0]);
  });

  it('a job waits for bytes shared with other consumers', async () => {
    const bytes = new Budget(1_000);
    const a = new InFlight(bytes, { window: 10 });
    const b = new InFlight(bytes, { window: 10 });
    const ta = await a.admit(900);
    let admitted = false;
    const pending = b.admit(200).then((t) => {
      admitted = true;
      return t;
    });
    await tick();
    expect(admitted).toBe(false);
    ta.done();
    (await pending).done();
    expect(admitted).toBe(true);
  });

  it('moves an attempt that hangs to the slow lane, freeing its window slot', async () => {
    const f = new InFlight(new Budget(10_000), { window: 1, slowWindow: 1, slowAfterMs: 20 });
    const hanging = await f.admit(10);
    await tick(40);
    const healthy = await f.admit(10); // the hanging one moved to the slow lane: its window slot came back
    expect(f.attempts).toBe(2);
    let third = false;
    const t3 = f.admit(10).then((t) => {
      third = true;
      return t;
    });
    await tick(40);
    expect(third).toBe(false); // the slow lane is full, so the second keeps its window slot
    healthy.done();
    (await t3).done();
    expect(third).toBe(true);
    hanging.done();
    expect(f.attempts).toBe(0);
  });

  it('by default, the slow lane holds SLOW_LANE_FACTOR × the window before slow attempts keep their slot', async () => {
    const f = new InFlight(new Budget(1_000_000), { window: 1, slowAfterMs: 5 });
    const tickets = [];
    for (let i = 0; i <= SLOW_LANE_FACTOR; i++) {
      tickets.push(await f.admit(10)); // each one hangs, moves to the slow lane, frees the window
      await tick(15);
    }
    expect(f.attempts).toBe(SLOW_LANE_FACTOR + 1);
    let next = false;
    const pending = f.admit(10).then((t) => {
      next = true;
      return t;
    });
    await tick(30);
    expect(next).toBe(false); // slow lane full: the last hanging attempt kept the window slot
    tickets.pop()!.done();
    (await pending).done();
    for (const t of tickets) t.done();
    expect(f.attempts).toBe(0);
  });
});
