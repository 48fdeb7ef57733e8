import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { Clock } from "../../src/core/clock";
import { DownloadList, type Look, MISSING_READS_BEFORE_GONE, pause, waitUntil } from "../../src/core/wait";
import { DEFAULT_POLL_POLICY, nextPollDelayForAllMs, type PollPolicy } from "../../src/core/poll-policy";

/** A clock whose sleeps pass at once, moving its time forward by what was asked; each sleep is recorded. */
function steppingClock(start = 1_000_000): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const POLICY: PollPolicy = { ...DEFAULT_POLL_POLICY, progressLogIntervalMs: 5000 };

/** Something that reaches 100 % at `finishAt`, rising steadily from `startAt`, read at each look. */
function steadyJob(clock: Clock, startAt: number, finishAt: number) {
  const percentAt = (t: number) => Math.min(100, (100 * (t - startAt)) / (finishAt - startAt));
  const first = { at: startAt, percent: 0 };
  let latest = first;
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read: async () => {
      reads++;
      latest = { at: clock.now(), percent: percentAt(clock.now()) };
      return latest.percent;
    },
    look: (percent: number): Look<string> =>
      percent >= 100 ? { done: `done at ${clock.now()}` } : { pending: [{ first, latest }], progress: `${percent}%` },
  };
}

describe("the waiting loop", () => {
  it("pauses as the policy computes, reads after each pause, and ends when the look says done", async () => {
    const clock = steppingClock();
    const start = clock.now();
    const job = steadyJob(clock, start, start + 10_000);
    const statuses: Array<[string, number]> = [];
    const result = await waitUntil({
      clock,
      poll: POLICY,
      deadline: start + 60_000,
      initial: 0,
      read: job.read,
      look: job.look,
      cancelled: () => assert.fail("not cancelled"),
      timedOut: () => assert.fail("not timed out"),
      status: (progress, delay) => statuses.push([progress, delay]),
    });
    assert.equal(result, `done at ${clock.now()}`);
    // First look: nothing to estimate, so firstPollMs; then the finish estimated from 10 % in 1 s, plus slack.
    const expectedSecond = nextPollDelayForAllMs(
      [{ first: { at: start, percent: 0 }, latest: { at: start + 1000, percent: 10 } }],
      start + 1000,
      POLICY,
    );
    assert.deepEqual(clock.sleeps, [1000, expectedSecond]);
    assert.equal(job.reads, 2, "one read after each pause");
    assert.deepEqual(statuses, [["0%", 1000]], "one status line: the second pause came within 5 s of the first");
  });

  it("stops at the deadline, pausing no further than it, and lets timedOut decide the result", async () => {
    const clock = steppingClock();
    const start = clock.now();
    const job = steadyJob(clock, start, start + 3_600_000);
    const result = await waitUntil({
      clock,
      poll: POLICY,
      deadline: start + 2500,
      initial: 0,
      read: job.read,
      look: job.look,
      cancelled: () => "cancelled",
      timedOut: (percent) => `timed out at ${percent.toFixed(2)}%`,
    });
    assert.equal(clock.now(), start + 2500, "the last pause ends at the deadline");
    assert.equal(
      clock.sleeps.reduce((a, b) => a + b, 0),
      2500,
    );
    assert.equal(result, `timed out at ${((100 * 2500) / 3_600_000).toFixed(2)}%`);
  });

  it("reads once more after a pause the signal cut short, then lets cancelled decide", async () => {
    const clock: Clock = { now: () => 0, sleep: () => new Promise<void>(() => undefined) }; // never wakes
    const signal = new AbortController();
    const looked: number[] = [];
    let reads = 0;
    const waiting = waitUntil({
      clock,
      poll: POLICY,
      deadline: Infinity,
      signal: signal.signal,
      initial: 0,
      read: async () => ++reads,
      look: (n: number): Look<string> => {
        looked.push(n);
        return { pending: [{ first: { at: 0, percent: 0 }, latest: { at: 0, percent: 0 } }] };
      },
      cancelled: (n) => `cancelled after read ${n}`,
      timedOut: () => "timed out",
    });
    await new Promise((resolve) => setImmediate(resolve));
    signal.abort();
    assert.equal(await waiting, "cancelled after read 1");
    assert.deepEqual(looked, [0, 1]);
  });

  /**
   * A wait for one pending thing whose expected time is `before` until the first pause begins and `during` from
   * then on (learned from another download's reading); it is ready at its first read. The reads and the sleeps.
   */
  async function waitLearning(before: number | undefined, during: number) {
    const clock = steppingClock();
    const start = clock.now();
    let learned = before;
    const learning: Clock = { now: clock.now, sleep: (ms) => ((learned = during), clock.sleep(ms)) };
    const track = { first: { at: start, percent: 0 }, latest: { at: start, percent: 0 }, expectedMs: () => learned };
    let reads = 0;
    const result = await waitUntil({
      clock: learning,
      poll: POLICY,
      deadline: start + 60_000,
      initial: false,
      read: async () => {
        reads++;
        return true;
      },
      look: (ready: boolean): Look<string> => (ready ? { done: "ready" } : { pending: [track] }),
      cancelled: () => assert.fail("not cancelled"),
      timedOut: () => assert.fail("not timed out"),
    });
    return { result, reads, sleeps: clock.sleeps };
  }

  it("does not spend a look planned before the pending thing's expected time was learned: it pauses on", async () => {
    // Learned while the first pause runs: 10 s from the start.
    const { result, reads, sleeps } = await waitLearning(undefined, 10_000);
    assert.equal(result, "ready");
    assert.equal(reads, 1, "one read, at the expected finish");
    assert.deepEqual(sleeps, [1000, 9100], "the first look, moved to 10 s plus the 1 % margin");
  });

  it("waits out even a small move of the look: a read 50 ms early would see the download still going", async () => {
    // A more precise reading of another download, during the pause, puts the finish 50 ms later.
    const { reads, sleeps } = await waitLearning(10_000, 10_050);
    assert.equal(reads, 1);
    assert.deepEqual(sleeps, [10_100, 51], "to 10.05 s plus its 1 % margin (100.5 ms, rounded)");
  });

  it("waits for the reading another wait holds instead of reading, then plans again", async () => {
    const clock = steppingClock();
    const start = clock.now();
    let learned: number | undefined = undefined;
    const track = { first: { at: start, percent: 0 }, latest: { at: start, percent: 0 }, expectedMs: () => learned };
    let scoutDone!: () => void;
    const scouting = new Promise<void>((resolve) => (scoutDone = resolve));
    let held = 0;
    let reads = 0;
    const waiting = waitUntil({
      clock,
      poll: POLICY,
      deadline: start + 60_000,
      initial: false,
      read: async () => {
        reads++;
        return true;
      },
      look: (ready: boolean): Look<string> => (ready ? { done: "ready" } : { pending: [track] }),
      hold: () => (learned === undefined ? (held++, scouting) : undefined),
      cancelled: () => assert.fail("not cancelled"),
      timedOut: () => assert.fail("not timed out"),
    });
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held, 1, "held once its look was due");
    assert.equal(reads, 0, "no read while the other reading is under way");
    learned = 5000;
    scoutDone();
    assert.equal(await waiting, "ready");
    assert.equal(reads, 1);
    assert.deepEqual(clock.sleeps, [1000, 4100]);
  });

  it("ends with the look's error when it throws", async () => {
    const clock = steppingClock();
    await assert.rejects(
      waitUntil({
        clock,
        poll: POLICY,
        deadline: clock.now() + 10_000,
        initial: "failed",
        read: async () => "never read",
        look: (state: string): Look<void> => {
          throw new Error(`it ${state}`);
        },
        cancelled: () => undefined,
        timedOut: () => undefined,
      }),
      /it failed/,
    );
    assert.deepEqual(clock.sleeps, []);
  });

  it("pause sleeps on the clock; an aborted signal skips the sleep, and an abort ends a pending one", async () => {
    /** A clock whose sleeps end only when the test wakes them; each asked duration is recorded. */
    const sleeps: number[] = [];
    const wakers: Array<() => void> = [];
    const held: Clock = {
      now: () => 0,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => wakers.push(resolve));
      },
    };
    /** Whether `promise` has settled once everything already queued has run (no timer involved). */
    const settled = async (promise: Promise<void>): Promise<boolean> => {
      let done = false;
      void promise.then(() => (done = true));
      await new Promise((resolve) => setImmediate(resolve));
      return done;
    };

    const plain = pause(held, 1500);
    assert.equal(await settled(plain), false, "without a signal, it waits for the clock");
    wakers.shift()?.();
    assert.equal(await settled(plain), true, "and ends when the clock wakes");

    const aborted = new AbortController();
    aborted.abort();
    assert.equal(await settled(pause(held, 60_000, aborted.signal)), true, "an aborted signal: at once");
    assert.deepEqual(sleeps, [1500], "without asking the clock to sleep");

    const later = new AbortController();
    const pausing = pause(held, 60_000, later.signal);
    assert.equal(await settled(pausing), false, "a pending signal: it sleeps");
    assert.deepEqual(sleeps, [1500, 60_000]);
    later.abort();
    assert.equal(await settled(pausing), true, "until the abort, before the clock wakes");
  });
});

describe("the downloads list over successive reads", () => {
  const URL = "https://customer-abc.cloudflarestream.com/uid/downloads/default.mp4";

  it("lets the newest read win for every type it lists", () => {
    const list = new DownloadList(
      ["default", "audio"],
      { default: { status: "inprogress", percentComplete: 10 } },
      true,
    );
    list.take({ default: { status: "ready", url: URL }, audio: { status: "inprogress", percentComplete: 5 } });
    assert.deepEqual(list.live, {
      default: { status: "ready", url: URL },
      audio: { status: "inprogress", percentComplete: 5 },
    });
    assert.equal(list.reads, 2);
  });

  it("keeps what the last read that listed a type said when a newer read misses it, counting the miss", () => {
    const list = new DownloadList(["default", "audio"], {}, false);
    list.take({ default: { status: "inprogress", percentComplete: 50 }, audio: { status: "ready", url: URL } });
    list.take({ default: { status: "inprogress", percentComplete: 70 } });
    assert.deepEqual(list.live.audio, { status: "ready", url: URL });
    assert.equal(list.missed("audio"), true);
    assert.equal(list.gone("audio"), false, "one miss is a list that lags");
    assert.equal(list.missed("default"), false);
  });

  it(`calls a type gone after ${MISSING_READS_BEFORE_GONE} reads in a row miss it, and not when a read in between lists it`, () => {
    const list = new DownloadList(["default"], {}, true);
    assert.equal(list.gone("default"), false, "a read of the list counts a miss");
    list.take({ default: { status: "inprogress" } });
    list.take({});
    assert.equal(list.gone("default"), false);
    list.take({});
    assert.equal(list.gone("default"), true);
  });

  it("does not count what create's answers said as a read of the list", () => {
    const list = new DownloadList(["default"], {}, false);
    assert.equal(list.reads, 0);
    assert.equal(list.missed("default"), false);
    list.take({});
    assert.equal(list.gone("default"), false, "one read missed it");
  });
});

describe("the waiting loop, at its edges", () => {
  it("shows the status again once progressLogIntervalMs has passed since the last, not only after more", async () => {
    const clock = steppingClock();
    const statuses: number[] = [];
    let reads = 0;
    await waitUntil({
      clock,
      poll: { ...POLICY, progressLogIntervalMs: 1000 },
      deadline: Infinity,
      initial: 0,
      read: async () => ++reads,
      look: (n: number): Look<number> => (n >= 3 ? { done: n } : { pending: [], nextLookMs: 1000 }),
      cancelled: () => assert.fail("not cancelled"),
      timedOut: () => assert.fail("not timed out"),
      status: () => statuses.push(clock.now()),
    });
    assert.deepEqual(clock.sleeps, [1000, 1000, 1000]);
    assert.equal(statuses.length, 3, "a status before each of the three pauses");
  });

  it("leaves no abort listener behind on the signal once a pause is over", async () => {
    const clock = steppingClock();
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) await pause(clock, 10, signal);
    assert.equal(getEventListeners(signal, "abort").length, 0);
  });

  it("starts the downloads list from what was known before its first read", () => {
    const known = { default: { status: "inprogress", percentComplete: 10 } };
    const list = new DownloadList(["default", "audio"], known, false);
    assert.deepEqual(list.live, known);
    list.take({ audio: { status: "inprogress" } });
    assert.deepEqual(list.live, { ...known, audio: { status: "inprogress" } });
    assert.deepEqual(
      known,
      { default: { status: "inprogress", percentComplete: 10 } },
      "the initial object is not changed",
    );
  });
});
