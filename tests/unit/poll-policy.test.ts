import assert from "node:assert/strict";
import { DEFAULT_POLL_POLICY, nextPollDelayForAllMs, nextPollDelayMs } from "../../src/core/poll-policy";

describe("the waiting policy", () => {
  const policy = DEFAULT_POLL_POLICY;

  it("looks first after firstPollMs, when nothing can be estimated yet", () => {
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 0, percent: 0 }, 0, policy), 1000);
  });

  it("looks again just after the finish estimated from the progress so far", () => {
    // 10 % after 1 s: finish at 10 s, plus 2 % of 10 s slack.
    assert.equal(nextPollDelayMs({ at: 0, percent: 0 }, { at: 1000, percent: 10 }, 1000, policy), 9200);
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
});
