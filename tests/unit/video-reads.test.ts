/**
 * The gatherer of video reads (src/core/video-reads.ts) on a virtual clock, without HTTP: its source reads the
 * emulator's state in process (the same views its API serves) and fails as the client fails, so the schedule
 * (the window, full batches) and the fallbacks are pinned exactly.
 */
import assert from "node:assert/strict";
import { AuthenticationError, CloudflareApiError, NotFoundError, UnexpectedResponseError } from "../../src/core/errors";
import type { Clock } from "../../src/core/clock";
import { type LiveVideo, parseVideo } from "../../src/core/parse";
import {
  failureText,
  sharedVideoReads,
  type VideoReadRequest,
  VideoReads,
  type VideoSource,
} from "../../src/core/video-reads";
import { Emulator } from "../../src/emulator/server";
import { cfId } from "../helpers/fixtures";

/** Lets every ready promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** A clock whose sleeps end only when the test moves time past them. */
function manualClock(): Clock & { advance(ms: number): Promise<void>; sleeping(): number } {
  let t = 0;
  let timers: Array<{ at: number; wake: () => void }> = [];
  return {
    now: () => t,
    sleep: (ms) => new Promise<void>((wake) => timers.push({ at: t + ms, wake })),
    sleeping: () => timers.length,
    async advance(ms) {
      t += ms;
      const due = timers.filter((timer) => timer.at <= t);
      timers = timers.filter((timer) => timer.at > t);
      for (const timer of due) timer.wake();
      await settle();
    },
  };
}

/**
 * A source over an emulator's state, in process: it reads videos as the API shows them, and records each call.
 * `failList` makes the list fail as the client would (a refusal, an answer that is not a list).
 */
function emulatorSource(emulator: Emulator, failList?: () => Error) {
  const calls = { lists: [] as string[][], gets: [] as string[] };
  const getVideo = async (accountId: string, videoId: string): Promise<LiveVideo> => {
    calls.gets.push(videoId);
    const view = emulator.getVideo(accountId, videoId);
    if (!view) {
      throw new NotFoundError({
        status: 404,
        method: "GET",
        path: `/accounts/${accountId}/stream/${videoId}`,
        errors: [],
      });
    }
    return parseVideo(view);
  };
  const source: VideoSource = {
    async readVideos(accountId, idsWhenSent) {
      const ids = idsWhenSent();
      const [only] = ids;
      if (ids.length === 1 && only !== undefined) return new Map([[only, await getVideo(accountId, only)]]);
      calls.lists.push([...ids]);
      if (failList) throw failList();
      const videos = new Map<string, LiveVideo>();
      for (const id of ids) {
        const view = emulator.getVideo(accountId, id);
        if (view) videos.set(id, parseVideo(view));
      }
      return videos;
    },
    getVideo,
  };
  return { source, calls };
}

/** The source with each list request held until `leave()`, as a busy rate limiter would hold it. */
function heldAtTheLimiter(source: VideoSource): { waiting: VideoSource; leave: () => void } {
  let leave!: () => void;
  const slot = new Promise<void>((resolve) => (leave = resolve));
  const waiting: VideoSource = {
    readVideos: async (accountId, ids) => {
      await slot;
      return source.readVideos(accountId, ids);
    },
    getVideo: source.getVideo,
  };
  return { waiting, leave };
}

describe("VideoReads: gathering video reads (virtual clock)", () => {
  const account = cfId();
  let emulator: Emulator;
  let clock: ReturnType<typeof manualClock>;

  beforeEach(() => {
    clock = manualClock();
    emulator = new Emulator({ now: () => 1_800_000_000_000 }); // its state only; it never listens here
  });

  const readAll = (gatherer: VideoReads, requests: VideoReadRequest[]) =>
    Promise.all(requests.map((r) => gatherer.read(r)));

  it("serves 50 reads that arrive together with one list call, sent when the window ends", async () => {
    const { source, calls } = emulatorSource(emulator);
    const videos = Array.from({ length: 50 }, (_, i) =>
      emulator.createVideo(account, i % 2 ? { readyMs: 60_000 } : { requireSignedURLs: true, durationSeconds: i + 1 }),
    );
    const gatherer = new VideoReads({ clock, windowMs: 50 });
    const reads = readAll(
      gatherer,
      videos.map((videoId) => ({ source, accountId: account, videoId })),
    );

    await clock.advance(49);
    assert.deepEqual(calls.lists, [], "nothing is sent before the window ends");
    await clock.advance(1);
    const got = await reads;

    assert.deepEqual(calls.lists, [videos], "one list call with every id, in arrival order");
    assert.deepEqual(calls.gets, []);
    got.forEach((video, i) => {
      assert.deepEqual(video, parseVideo(emulator.getVideo(account, videos[i] ?? "")), `video ${i} is its own`);
    });
    assert.equal(got[0]?.durationSeconds, 1);
    assert.equal(got[1]?.readyToStream, false);
    assert.deepEqual(gatherer.stats, { listRequests: 1, listedVideos: 50, ownReads: 0 });
  });

  it("sends a batch at once when it holds batchSize ids, and the rest when the window ends", async () => {
    const { source, calls } = emulatorSource(emulator);
    const videos = Array.from({ length: 250 }, () => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 50, batchSize: 100 });
    const reads = readAll(
      gatherer,
      videos.map((videoId) => ({ source, accountId: account, videoId })),
    );
    await settle();

    assert.deepEqual(
      calls.lists.map((ids) => ids.length),
      [100, 100],
      "two full batches went without waiting",
    );
    await clock.advance(50);
    assert.equal((await reads).length, 250);
    assert.deepEqual(
      calls.lists.map((ids) => ids.length),
      [100, 100, 50],
    );
    assert.deepEqual(calls.lists.flat(), videos, "every id once");
  });

  it("starts a new batch for reads that arrive once a batch is sent, with its own window", async () => {
    const { source, calls } = emulatorSource(emulator);
    const [a, b, c, d] = [1, 2, 3, 4].map(() => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 50 });
    const first = readAll(
      gatherer,
      [a, b].map((videoId) => ({ source, accountId: account, videoId: videoId ?? "" })),
    );
    await clock.advance(50);
    const second = readAll(
      gatherer,
      [c, d].map((videoId) => ({ source, accountId: account, videoId: videoId ?? "" })),
    );
    await first;
    assert.deepEqual(calls.lists, [[a, b]]);
    await clock.advance(50);
    await second;
    assert.deepEqual(calls.lists, [
      [a, b],
      [c, d],
    ]);
  });

  it("reads a video alone in its batch on its own: one request either way, and no list lag", async () => {
    const { source, calls } = emulatorSource(emulator);
    const video = emulator.createVideo(account);
    const gatherer = new VideoReads({ clock, windowMs: 50 });
    const read = gatherer.read({ source, accountId: account, videoId: video });
    await clock.advance(50);
    assert.deepEqual(await read, parseVideo(emulator.getVideo(account, video)));
    assert.deepEqual(calls, { lists: [], gets: [video] });
    assert.deepEqual(gatherer.stats, { listRequests: 0, listedVideos: 0, ownReads: 1 }, "an own read, not a list");
  });

  it("takes into a batch the reads that arrive while its request waits for the rate limiter", async () => {
    const { source, calls } = emulatorSource(emulator);
    const { waiting, leave } = heldAtTheLimiter(source);
    const [a, b, c] = [1, 2, 3].map(() => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 50 });
    const first = gatherer.read({ source: waiting, accountId: account, videoId: a ?? "" });
    await clock.advance(50); // the window ended with one read; its request waits for a slot
    const later = readAll(
      gatherer,
      [b, c].map((videoId) => ({ source: waiting, accountId: account, videoId: videoId ?? "" })),
    );
    await settle();
    assert.equal(clock.sleeping(), 0, "the later reads opened no batch of their own");
    leave();
    await Promise.all([first, later]);
    assert.deepEqual(calls, { lists: [[a, b, c]], gets: [] }, "one list request with all three");
  });

  it("takes no read into a full batch while its request waits for the rate limiter: it opens the next", async () => {
    const { source, calls } = emulatorSource(emulator);
    const { waiting, leave } = heldAtTheLimiter(source);
    const [a = "", b = "", c = "", d = ""] = [1, 2, 3, 4].map(() => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 50, batchSize: 2 });
    const full = readAll(
      gatherer,
      [a, b].map((videoId) => ({ source: waiting, accountId: account, videoId })),
    );
    await settle(); // full: sent at once, and waiting for a slot
    const next = readAll(
      gatherer,
      [c, d].map((videoId) => ({ source: waiting, accountId: account, videoId })),
    );
    await settle();
    leave();
    await Promise.all([full, next]);
    assert.deepEqual(calls.lists, [
      [a, b],
      [c, d],
    ]);
  });

  it("reads a batch that leaves with one id on its own, and gives its 404 to its callers without giving up the list", async () => {
    const { source, calls } = emulatorSource(emulator);
    const gone = cfId();
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    const read = gatherer.read({ source, accountId: account, videoId: gone });
    const outcome = read.then(
      () => "read",
      (error: unknown) => error,
    );
    await clock.advance(10);
    assert.ok((await outcome) instanceof NotFoundError);
    assert.deepEqual(calls, { lists: [], gets: [gone] });
    assert.equal(gatherer.listing(account), true);
  });

  it("lists a video once for several readers, and gives each reader its own copy", async () => {
    const { source, calls } = emulatorSource(emulator);
    const [a, b] = [emulator.createVideo(account), emulator.createVideo(account)];
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    const reads = readAll(
      gatherer,
      [a, a, b].map((videoId) => ({ source, accountId: account, videoId })),
    );
    await clock.advance(10);
    const [first, again] = await reads;
    assert.deepEqual(calls.lists, [[a, b]]);
    assert.deepEqual(first, again);
    assert.notEqual(first, again, "not the same object");
  });

  it("reads a video the list does not show on its own, and hands its 404 to its caller only", async () => {
    const { source, calls } = emulatorSource(emulator);
    const [a, b] = [emulator.createVideo(account), emulator.createVideo(account)];
    const gone = cfId();
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    const reads = Promise.allSettled(
      [a, gone, b].map((videoId) => gatherer.read({ source, accountId: account, videoId })),
    );
    await clock.advance(10);
    const [ra, rgone, rb] = await reads;

    assert.equal(ra?.status, "fulfilled");
    assert.equal(rb?.status, "fulfilled");
    assert.ok(rgone?.status === "rejected" && rgone.reason instanceof NotFoundError, "the video's own 404");
    assert.deepEqual(calls, { lists: [[a, gone, b]], gets: [gone] });
  });

  for (const [what, failure] of [
    [
      "refused (403)",
      () =>
        new AuthenticationError({
          status: 403,
          method: "GET",
          path: "/x",
          errors: [{ code: 10000, message: "Authentication error" }],
        }),
    ],
    ["unreadable", () => new UnexpectedResponseError("GET", "/x", { a: 1 }, "an array of videos")],
  ] as const) {
    it(`falls back to each video's own read when the list is ${what}, and stops listing for that account`, async () => {
      const { source, calls } = emulatorSource(emulator, failure);
      const videos = Array.from({ length: 5 }, () => emulator.createVideo(account));
      const lines: string[] = [];
      const gatherer = new VideoReads({ clock, windowMs: 10 });
      const reads = readAll(
        gatherer,
        videos.map((videoId) => ({ source, accountId: account, videoId, log: (l: string) => lines.push(l) })),
      );
      await clock.advance(10);
      const got = await reads;

      got.forEach((video, i) => assert.deepEqual(video, parseVideo(emulator.getVideo(account, videos[i] ?? ""))));
      assert.equal(calls.lists.length, 1);
      assert.deepEqual(calls.gets, videos, "each video read on its own");
      assert.equal(gatherer.listing(account), false);

      // Later reads of that account go on their own at once, without a window and without the list.
      const later = readAll(
        gatherer,
        videos.map((videoId) => ({ source, accountId: account, videoId, log: (l: string) => lines.push(l) })),
      );
      await settle();
      assert.equal((await later).length, 5);
      assert.equal(calls.lists.length, 1);
      assert.equal(clock.sleeping(), 0, "no window opened");
      assert.deepEqual(
        gatherer.stats,
        { listRequests: 0, listedVideos: 0, ownReads: 10 },
        "a failed list counts no list",
      );
      assert.equal(lines.length, 1, `one line, once: ${lines.join("\n")}`);
      assert.match(lines[0] ?? "", /one request per video instead of one per 100\)$/);
      assert.match(
        lines[0] ?? "",
        /video list failed .*each video is read with its own request for the rest of this run/,
      );
      for (const id of [account, ...videos]) assert.ok(!(lines[0] ?? "").includes(id), "the line names no id");
    });
  }

  it("keeps the next batch open for reads when the full batch before it leaves", async () => {
    const { source, calls } = emulatorSource(emulator);
    const { waiting, leave } = heldAtTheLimiter(source);
    const [a = "", b = "", c = "", d = ""] = [1, 2, 3, 4].map(() => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 50, batchSize: 2 });
    const read = (videoId: string) => gatherer.read({ source: waiting, accountId: account, videoId });
    const full = [read(a), read(b)]; // full: sent at once, held at the limiter
    await settle();
    const next = [read(c)]; // opens the next batch
    leave(); // the full batch leaves, taking its ids
    await settle();
    next.push(read(d)); // joins the next batch, still in its window
    await clock.advance(50);
    await Promise.all([...full, ...next]);
    assert.deepEqual(calls.lists, [
      [a, b],
      [c, d],
    ]);
  });

  it("says once that it stops listing, when two batches of an account fail together", async () => {
    const { source } = emulatorSource(emulator, () => new UnexpectedResponseError("GET", "/x", {}, "a list"));
    const lines: string[] = [];
    const gatherer = new VideoReads({ clock, windowMs: 10, batchSize: 2 });
    const videos = [1, 2, 3, 4].map(() => emulator.createVideo(account));
    await readAll(
      gatherer,
      videos.map((videoId) => ({ source, accountId: account, videoId, log: (l: string) => lines.push(l) })),
    );
    assert.equal(lines.length, 1, lines.join("\n"));
  });

  it("reads each video on its own, and goes on listing, when a list request fails before it leaves", async () => {
    const { source, calls } = emulatorSource(emulator);
    const failing: VideoSource = {
      readVideos: async () => {
        throw new Error("the wait for the rate limiter was aborted"); // before it took the ids
      },
      getVideo: source.getVideo,
    };
    const videos = [1, 2, 3].map(() => emulator.createVideo(account));
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    const reads = readAll(
      gatherer,
      videos.map((videoId) => ({ source: failing, accountId: account, videoId })),
    );
    await clock.advance(10);
    let done = false;
    void reads.then(() => (done = true));
    await settle();
    assert.equal(done, true, "every caller was answered");
    assert.deepEqual(calls.gets, videos);
    assert.equal(gatherer.listing(account), true, "nothing was learned of the list");
  });

  it("keeps listing for other accounts when one account's list fails", async () => {
    const other = cfId();
    const failing = emulatorSource(
      emulator,
      () => new AuthenticationError({ status: 403, method: "GET", path: "/x", errors: [] }),
    );
    const working = emulatorSource(emulator);
    const mine = [emulator.createVideo(account), emulator.createVideo(account)];
    const theirs = [emulator.createVideo(other), emulator.createVideo(other)];
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    const reads = Promise.all([
      ...mine.map((videoId) => gatherer.read({ source: failing.source, accountId: account, videoId })),
      ...theirs.map((videoId) => gatherer.read({ source: working.source, accountId: other, videoId })),
    ]);
    await clock.advance(10);
    await reads;
    assert.equal(gatherer.listing(account), false);
    assert.equal(gatherer.listing(other), true);
    assert.deepEqual(working.calls.lists, [theirs]);
  });

  it("reads an id that is not 32 hex characters on its own, keeping it out of the list", async () => {
    const { source, calls } = emulatorSource(emulator);
    const [a, b] = [emulator.createVideo(account), emulator.createVideo(account)];
    const gatherer = new VideoReads({ clock, windowMs: 10 });
    // Not hex; a hex id with a character before it; and one with a character after it (`?id=` takes commas).
    const odds = ["NOT-A-UID,x", `,${a}`, `${b},`];
    const reads = Promise.allSettled(
      [a, ...odds, b].map((videoId) => gatherer.read({ source, accountId: account, videoId })),
    );
    await clock.advance(10);
    const [, ...rest] = await reads;
    for (const read of rest.slice(0, 3)) assert.equal(read.status, "rejected");
    assert.deepEqual(calls.lists, [[a, b]]);
    assert.deepEqual(calls.gets, odds);
  });

  it("refuses a batch size outside 1-1000 and a negative window", () => {
    assert.throws(() => new VideoReads({ batchSize: 0 }), /batchSize must be an integer from 1 to 1000 \(got 0\)/);
    assert.throws(() => new VideoReads({ batchSize: 1001 }), /got 1001/);
    assert.throws(() => new VideoReads({ windowMs: -1 }), /windowMs must be >= 0/);
    for (const options of [{ batchSize: 1 }, { batchSize: 1000 }, { windowMs: 0 }]) new VideoReads(options);
  });

  it("describes a failure without the path, the ids or any credential", () => {
    const path = `/accounts/${account}/stream?id=${cfId()},${cfId()}`;
    const error = new AuthenticationError({
      status: 403,
      method: "GET",
      path,
      errors: [{ code: 9109, message: "Invalid access token" }],
    });
    const text = failureText(error);
    assert.equal(
      text,
      "Cloudflare answered 403: [9109] Invalid access token; the token may lack the right to list videos (Stream Read)",
    );
    assert.ok(!text.includes(account));
    const said = (status: number, message: string) =>
      failureText(new CloudflareApiError({ status, method: "GET", path, errors: [{ code: 1, message }] }));
    assert.equal(
      said(401, "no"),
      "Cloudflare answered 401: [1] no; the token may lack the right to list videos (Stream Read)",
    );
    assert.equal(
      said(500, "x".repeat(300)),
      `Cloudflare answered 500: [1] ${"x".repeat(200)}`,
      "no rights hint; cut at 200",
    );
    assert.equal(
      failureText(new UnexpectedResponseError("GET", path, "x")),
      "Cloudflare's answer was not a list of videos",
    );
  });

  it("shares one gatherer per credential fingerprint in the process", () => {
    const key = `test-${cfId()}`;
    assert.equal(sharedVideoReads(key), sharedVideoReads(key));
    assert.notEqual(sharedVideoReads(key), sharedVideoReads(`${key}-other`));
  });
});
