import assert from "node:assert/strict";
import {
  DEFAULT_POLL_POLICY,
  nextLookAt,
  nextLookAtForAll,
  nextPollDelayForAllMs,
  nextPollDelayMs,
} from "../../src/core/poll-policy";

describe("the waiting policy", () => {
  const policy = DEFAULT_POLL_POLICY;

  it("looks first after firstPollMs, when nothing can be estimated yet", () => {
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 0, percent: 0 }, 0, policy), 1000);
  });

  it("looks again just after the finish estimated from the progress so far", () => {
    // 10 % after 1 s: finish at 10 s, plus 1 % of 10 s slack.
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 10 }, 1000, policy), 9100);
    // 50 % after 1 s: finish at 2 s, plus the 100 ms floor of slack.
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 50 }, 1000, policy), 1100);
  });

  it("never waits less than minIntervalMs or more than maxIntervalMs", () => {
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 99.99 }, 1000, policy), 250);
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 0.1 }, 1000, policy), 60_000);
  });

  it("backs off in proportion to the time waited when progress does not move", () => {
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 0 }, 1000, policy), 1000);
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 8000, percent: 0 }, 8000, policy), 4000);
  });

  it("waits for the slowest of several downloads", () => {
    const delay = nextPollDelayForAllMs(
      [
        { first: { at: 0, percent: 0 }, latest: { at: 1000, percent: 50 } },
        { first: { at: 0, percent: 0 }, latest: { at: 1000, percent: 25 } },
      ],
      1000,
      policy,
    );
    assert.equal(delay, 3100);
  });

  describe("a track with an expected time (learned from other downloads)", () => {
    const first = { at: 0, percent: 0 };

    it("first looks just after the expected finish, with the margin of the expected total", () => {
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 10_000 }, policy), 10_100);
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 30_000 }, policy), 30_300);
      // Never later than maxIntervalMs after the newest reading: a bound on an estimate that is wrong.
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 90_000 }, policy), 60_000);
      // A short one: the margin's floor; and never sooner than minIntervalMs after the newest reading.
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 2000 }, policy), 2100);
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 10 }, policy), 250);
    });

    it("lets the thing's own progress win over what is expected of it", () => {
      const latest = { at: 1000, percent: 50 };
      assert.equal(nextLookAt({ first, latest, expectedMs: () => 10_000 }, policy), 2100);
    });

    it("falls back to backing off once a look after the expected finish found no progress", () => {
      const latest = { at: 10_100, percent: 0 };
      assert.equal(nextLookAt({ first, latest, expectedMs: () => 10_000 }, policy), 10_100 + 5050);
      const atTheFinish = { at: 10_000, percent: 0 }; // a look exactly at the expected finish is after it too
      assert.equal(nextLookAt({ first, latest: atTheFinish, expectedMs: () => 10_000 }, policy), 10_000 + 5000);
    });

    it("plans as if nothing were expected when nothing is", () => {
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => undefined }, policy), 1000);
      assert.equal(nextLookAt({ first, latest: first, expectedMs: () => 0 }, policy), 1000);
    });

    it("asks for the expected time at each plan, so that what is learned meanwhile moves the look", () => {
      let learned: number | undefined = undefined;
      const track = { first, latest: first, expectedMs: () => learned };
      assert.equal(nextLookAtForAll([track], 0, policy), 1000);
      learned = 8000;
      assert.equal(nextLookAtForAll([track], 500, policy), 8100);
    });

    it("plans an instant: a later now moves nothing", () => {
      const latest = { at: 1000, percent: 10 };
      assert.equal(nextLookAt({ first, latest }, policy), 10_100);
      assert.equal(nextPollDelayMs(first, latest, 4000, policy), 6100);
      assert.equal(nextPollDelayMs(first, latest, 20_000, policy), 0);
    });
  });

  it("looks after minIntervalMs when nothing is tracked", () => {
    assert.equal(nextPollDelayForAllMs([], 0, policy), 250);
  });

  it("looks first after firstPollMs even when the first reading already shows progress (a create's hint)", () => {
    assert.equal(nextPollDelayMs({ at: 5000, percent: 0 }, { at: 5000, percent: 50 }, 5000, policy), 1000);
  });

  it("estimates from the progress gained since tracking began, on the clock's epoch", () => {
    const t0 = 1_700_000_000_000;
    // Adopted at 40 %, 50 % a second later: 10 points a second, so 5 s to go; slack: the 100 ms floor (1 % of the 6 s tracked is less).
    assert.equal(nextPollDelayMs({ at: t0, percent: 40 }, { at: t0 + 1000, percent: 50 }, t0 + 1000, policy), 5100);
    // No progress after 10 s: back off by half the time waited since tracking began.
    assert.equal(nextPollDelayMs({ at: t0, percent: 0 }, { at: t0 + 10_000, percent: 0 }, t0 + 10_000, policy), 5000);
  });
});
