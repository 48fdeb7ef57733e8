/**
 * Time for tests of many resources at once. A clock whose sleeps end only when time is moved past them, and a
 * driver that moves time to the end of the earliest sleep whenever nothing else can happen (no request of the
 * provider in flight): many concurrent waits then play out exactly as the clock says, however slow the machine.
 * The provider (its operations and its rate limiter) and the emulator read the same time, so generation takes no
 * real time and what a schedule costs is exact.
 */
import type { Clock } from "../../src/core/clock";

/** Turns of the event loop with nothing in flight before time moves: the responses' callbacks have run by then. */
const QUIET_TURNS = 3;

export class VirtualTime implements Clock {
  private t: number;
  private timers: Array<{ at: number; order: number; wake: () => void }> = [];
  private order = 0;

  constructor(start = 1_800_000_000_000) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => this.timers.push({ at: this.t + Math.max(0, ms), order: this.order++, wake }));

  /**
   * Runs `work` to its end. Whenever `busy()` has been false for a few turns of the event loop, time moves to the
   * end of the earliest sleep, and every sleep that ends then wakes, in the order they began.
   */
  async run<T>(work: Promise<T>, busy: () => boolean): Promise<T> {
    let settled = false;
    const tracked = work.finally(() => (settled = true));
    tracked.catch(() => undefined);
    while (!settled) {
      for (let quiet = 0; quiet < QUIET_TURNS && !settled;) {
        await new Promise((resolve) => setImmediate(resolve));
        quiet = busy() ? 0 : quiet + 1;
      }
      if (settled || this.timers.length === 0) continue; // nothing to wake: something real is under way
      this.t = Math.max(this.t, Math.min(...this.timers.map((timer) => timer.at)));
      const due = this.timers.filter((timer) => timer.at <= this.t).sort((a, b) => a.order - b.order);
      this.timers = this.timers.filter((timer) => timer.at > this.t);
      for (const timer of due) timer.wake();
    }
    return tracked;
  }
}
