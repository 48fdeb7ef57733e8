import assert from "node:assert/strict";
import { GenerationRates, sharedGenerationRates } from "../../src/core/generation-rates";

describe("generation rates learned in a process", () => {
  const account = "a".repeat(32);
  const other = "b".repeat(32);
  const start = { at: 0, percent: 0 };

  it("learns ms of generation per second of video from a reading in progress, and scales it to another video", () => {
    const rates = new GenerationRates();
    assert.equal(rates.expectedMs(account, "default", 12.5), undefined, "nothing learned yet");
    // 10 % after 1 s of a 10 s video: 10 s in all, 1 s per second of video.
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "v1",
      durationSeconds: 10,
      first: start,
      latest: { at: 1000, percent: 10 },
    });
    assert.equal(rates.expectedMs(account, "default", 10), 10_000);
    assert.equal(rates.expectedMs(account, "default", 60), 60_000);
    // A video whose length is not known yet: the generation times themselves.
    assert.equal(rates.expectedMs(account, "default", undefined), 10_000);
    assert.equal(rates.expectedMs(account, "default", -1), 10_000);
  });

  it("keeps each download's latest estimate, and weights downloads by the progress they were read at", () => {
    const rates = new GenerationRates();
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "v1",
      durationSeconds: 10,
      first: start,
      latest: { at: 1000, percent: 10 },
    });
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "v1",
      durationSeconds: 10,
      first: start,
      latest: { at: 6000, percent: 50 },
    });
    assert.equal(rates.expectedMs(account, "default", 10), 12_000, "v1's later reading replaced its first");
    // Another download read at 10 % weighs (10/50)^2 = 1/25 of v1.
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "v2",
      durationSeconds: 10,
      first: start,
      latest: { at: 500, percent: 10 },
    });
    assert.equal(rates.expectedMs(account, "default", 10), (12_000 * 2500 + 5000 * 100) / 2600);
  });

  it("learns nothing from a reading too coarse, without progress, or done", () => {
    const rates = new GenerationRates();
    const learn = (latest: { at: number; percent: number }) =>
      rates.learn({ accountId: account, type: "default", videoId: "v", durationSeconds: 10, first: start, latest });
    for (const latest of [
      { at: 1000, percent: 1.7 },
      { at: 1000, percent: 0 },
      { at: 0, percent: 10 },
      { at: 9000, percent: 100 },
    ]) {
      assert.equal(learn(latest), false, JSON.stringify(latest));
    }
    assert.equal(rates.expectedMs(account, "default", 10), undefined);
  });

  it("keeps accounts and types apart, and remembers the 16 most recent downloads of each", () => {
    const rates = new GenerationRates();
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "v",
      durationSeconds: 10,
      first: start,
      latest: { at: 1000, percent: 10 },
    });
    assert.equal(rates.expectedMs(other, "default", 10), undefined);
    assert.equal(rates.expectedMs(account, "audio", 10), undefined);
    for (let i = 0; i < 16; i++) {
      rates.learn({
        accountId: account,
        type: "default",
        videoId: `w${i}`,
        durationSeconds: 10,
        first: start,
        latest: { at: 2000, percent: 10 },
      });
    }
    assert.equal(rates.expectedMs(account, "default", 10), 20_000, "the first download is forgotten");
  });

  it("lets one wait at a time read to learn an account, the others waiting for its reading", async () => {
    const rates = new GenerationRates();
    assert.equal(rates.scouting(account), undefined);
    const done = rates.scout(account);
    const reading = rates.scouting(account);
    assert.ok(reading, "a reading is under way");
    assert.equal(rates.scouting(other), undefined, "per account");
    let ended = false;
    void reading.then(() => (ended = true));
    await Promise.resolve();
    assert.equal(ended, false);
    done();
    await reading;
    assert.equal(rates.scouting(account), undefined);
    done(); // twice is harmless
  });

  it("stops making waits wait for scouts of an account whose scout learned nothing, until a reading teaches something", () => {
    const rates = new GenerationRates();
    rates.scout(account)(true); // read a download in progress at 0 %: coarse progress
    rates.scout(account);
    assert.equal(rates.scouting(account), undefined, "no one waits for this account's scouts");
    const taught = rates.learn({
      accountId: account,
      type: "default",
      videoId: "v",
      durationSeconds: 10,
      first: start,
      latest: { at: 1000, percent: 10 },
    });
    assert.equal(taught, true);
    rates.scout(account);
    assert.ok(rates.scouting(account), "a reading taught something: scouts are waited for again");
  });

  it("learns from the progress gained between two readings, whenever the first was taken", () => {
    const rates = new GenerationRates();
    // 20 % to 40 % between 5 s and 7 s: 20 points in 2 s, so 10 s in all.
    const taught = rates.learn({
      accountId: account,
      type: "default",
      videoId: "v",
      durationSeconds: 10,
      first: { at: 5000, percent: 20 },
      latest: { at: 7000, percent: 40 },
    });
    assert.equal(taught, true);
    assert.equal(rates.expectedMs(account, "default", 10), 10_000);
    const atTheFloor = { accountId: other, type: "default" as const, videoId: "v", first: start };
    assert.equal(rates.learn({ ...atTheFloor, latest: { at: 1000, percent: 5 } }), true, "5 points are enough");
  });

  it("remembers 16 downloads, and a download read again counts as the newest", () => {
    const rates = new GenerationRates();
    const learn = (videoId: string, at: number) =>
      rates.learn({
        accountId: account,
        type: "default",
        videoId,
        durationSeconds: 10,
        first: start,
        latest: { at, percent: 10 },
      });
    learn("v", 1000); // 10 s
    for (let i = 0; i < 15; i++) learn(`w${i}`, 2000); // 20 s each
    assert.equal(rates.expectedMs(account, "default", 10), (10_000 + 15 * 20_000) / 16, "all 16 kept");
    learn("v", 1000); // read again: now the newest
    learn("w15", 2000); // the 17th: the oldest, w0, goes
    assert.equal(rates.expectedMs(account, "default", 10), (10_000 + 15 * 20_000) / 16, "v stayed");
  });

  it("scales by duration only from downloads whose video length was known, else uses the times themselves", () => {
    const rates = new GenerationRates();
    rates.learn({ accountId: account, type: "default", videoId: "u", first: start, latest: { at: 1000, percent: 10 } });
    assert.equal(rates.expectedMs(account, "default", 10), 10_000, "no timed download: the time itself");
    assert.equal(rates.expectedMs(account, "default", 0), 10_000, "a length of 0 is no length");
    rates.learn({
      accountId: account,
      type: "default",
      videoId: "t",
      durationSeconds: 40,
      first: start,
      latest: { at: 2000, percent: 10 },
    });
    assert.equal(rates.expectedMs(account, "default", 10), 5000, "20 s for 40 s of video: 0.5 s per second");
    assert.equal(rates.expectedMs(account, "default", 0), 15_000, "a length of 0 is no length: the times' mean");
  });

  it("ends only its own scout: a finished scout leaves a newer one, and saying nothing means it taught", () => {
    const rates = new GenerationRates();
    const first = rates.scout(account);
    rates.scout(account);
    const newer = rates.scouting(account);
    first();
    assert.equal(rates.scouting(account), newer, "the newer scout is still awaited");
    rates.scout(other)();
    rates.scout(other);
    assert.ok(rates.scouting(other), "a scout that did not say it taught nothing keeps scouts awaited");
  });

  it("is shared per credential fingerprint in the process", () => {
    assert.equal(sharedGenerationRates("k1"), sharedGenerationRates("k1"));
    assert.notEqual(sharedGenerationRates("k1"), sharedGenerationRates("k2"));
  });
});
