import { describe, expect, it } from 'vitest';
import { REQUEST_WINDOW_MS, RequestWindow } from '../../../src/core/request-window.js';

describe('RequestWindow', () => {
  it('lets `limit` requests be in flight or answered within the window, no more', () => {
    const w = new RequestWindow();
    for (let i = 0; i < 3; i++) {
      expect(w.waitMs(3, 0)).toBe(0);
      w.start();
    }
    expect(w.waitMs(3, 10)).toBe(Number.POSITIVE_INFINITY); // all three unanswered
    w.finish(100);
    expect(w.waitMs(3, 200)).toBe(Math.ceil(100 + REQUEST_WINDOW_MS - 200)); // the answer ages out
    expect(w.waitMs(3, 100 + REQUEST_WINDOW_MS)).toBe(0);
  });

  it('is idle once nothing is in flight and every answer is older than the window', () => {
    const w = new RequestWindow();
    w.start();
    expect(w.idle(0)).toBe(false);
    w.finish(5);
    expect(w.idle(5 + REQUEST_WINDOW_MS - 1)).toBe(false);
    expect(w.idle(5 + REQUEST_WINDOW_MS)).toBe(true);
  });
});
