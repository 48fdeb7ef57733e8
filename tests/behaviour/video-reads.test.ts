/**
 * Gathered video reads over real HTTP: the real client against the emulator, counting the requests it serves.
 * Also `CloudflareClient.listVideos` and its reader on every form the emulator's list can answer in.
 */
import assert from "node:assert/strict";
import { NotFoundError, UnexpectedResponseError } from "../../src/core/errors";
import { parseVideo } from "../../src/core/parse";
import { VideoReads } from "../../src/core/video-reads";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { cfId, clientFor, TOKEN } from "../helpers/fixtures";

describe("gathered video reads, over HTTP to the emulator", () => {
  const account = cfId();
  let emulator: Emulator;

  beforeEach(async () => (emulator = await startEmulator({ token: TOKEN, generationMs: 1000 })));
  afterEach(() => emulator.close());

  const listRequests = () => emulator.requests.filter((r) => r.path === `/accounts/${account}/stream`);
  const ownReads = () => emulator.requests.filter((r) => /\/stream\/[0-9a-f]{32}$/.test(r.path));

  it("answers 50 concurrent reads with 1 list request, each caller with its own video", async () => {
    const videos = Array.from({ length: 50 }, (_, i) =>
      emulator.createVideo(account, i % 3 === 0 ? { readyMs: 60_000 } : { requireSignedURLs: i % 3 === 1 }),
    );
    const client = clientFor(emulator);
    const gatherer = new VideoReads({ windowMs: 20 });
    const got = await Promise.all(
      videos.map((videoId) => gatherer.read({ source: client, accountId: account, videoId })),
    );

    assert.equal(emulator.requests.length, 1, "one request in all");
    assert.equal(listRequests().length, 1);
    assert.equal(emulator.requests[0]?.status, 200);
    got.forEach((video, i) =>
      assert.deepEqual(video, parseVideo(emulator.getVideo(account, videos[i] ?? "")), `video ${i}`),
    );
    assert.equal(got[0]?.readyToStream, false);
    assert.equal(got[1]?.requireSignedURLs, true);
    assert.equal(got[1]?.durationSeconds, 12.5);
  });

  it("stays within a tight rate limit that 50 own reads would pass", async () => {
    emulator.options.rateLimit = { limit: 10, windowMs: 300_000, blockMs: 300_000 };
    const videos = Array.from({ length: 50 }, () => emulator.createVideo(account));
    const client = clientFor(emulator);
    const gatherer = new VideoReads({ windowMs: 20 });
    await Promise.all(videos.map((videoId) => gatherer.read({ source: client, accountId: account, videoId })));
    assert.deepEqual(
      emulator.requests.map((r) => r.status),
      [200],
    );
  });

  it("reads a video the list does not show on its own: a lagging list, and a deleted video's 404", async () => {
    const [a, b, c] = [emulator.createVideo(account), emulator.createVideo(account), emulator.createVideo(account)];
    const gone = cfId();
    // A list that lags behind: it shows only the first video.
    const shown = emulator.getVideo(account, a);
    emulator.addFault({ method: "GET", path: /\/stream$/, fault: { kind: "rewriteResult", result: [shown] } });
    const client = clientFor(emulator);
    const gatherer = new VideoReads({ windowMs: 20 });
    const reads = await Promise.allSettled(
      [a, b, c, gone].map((videoId) => gatherer.read({ source: client, accountId: account, videoId })),
    );

    assert.deepEqual(
      reads.map((r) => r.status),
      ["fulfilled", "fulfilled", "fulfilled", "rejected"],
    );
    const last = reads[3];
    assert.ok(last?.status === "rejected" && last.reason instanceof NotFoundError, "the deleted video's own 404");
    assert.equal(listRequests().length, 1);
    assert.deepEqual(
      ownReads().map((r) => r.path.split("/").pop()),
      [b, c, gone],
    );
    assert.equal(gatherer.listing(account), true, "a list that lags is no failure");
  });

  for (const [form, status] of [
    ["forbidden", 403],
    ["object", 200],
  ] as const) {
    it(`falls back to own reads when the list answers ${form}, says so once, and lists no more`, async () => {
      emulator.options.videoList = form;
      const videos = Array.from({ length: 10 }, () => emulator.createVideo(account));
      const lines: string[] = [];
      const client = clientFor(emulator);
      const gatherer = new VideoReads({ windowMs: 20 });
      const read = () =>
        Promise.all(
          videos.map((videoId) =>
            gatherer.read({ source: client, accountId: account, videoId, log: (l) => lines.push(l) }),
          ),
        );
      const got = await read();
      got.forEach((video, i) => assert.deepEqual(video, parseVideo(emulator.getVideo(account, videos[i] ?? ""))));
      assert.deepEqual(
        listRequests().map((r) => r.status),
        [status],
      );
      assert.equal(ownReads().length, 10);

      await read();
      assert.equal(listRequests().length, 1, "the list is not tried again");
      assert.equal(ownReads().length, 20);
      assert.equal(lines.length, 1, lines.join("\n"));
      const why =
        form === "forbidden"
          ? /Cloudflare answered 403: \[10000\] Authentication error; the token may lack the right to list videos/
          : /not a list of videos/;
      assert.match(lines[0] ?? "", why);
      for (const secret of [TOKEN, account, ...videos]) assert.ok(!(lines[0] ?? "").includes(secret));
    });
  }

  describe("CloudflareClient.listVideos", () => {
    it("sends one GET with the ids comma-separated and limit, and reads each video as getVideo does", async () => {
      const videos = [emulator.createVideo(account, { durationSeconds: 7 }), emulator.createVideo(account)];
      const client = clientFor(emulator);
      const listed = await client.listVideos(account, videos);
      assert.equal(emulator.requests.length, 1);
      assert.deepEqual([...listed.keys()].sort(), [...videos].sort());
      for (const id of videos) assert.deepEqual(listed.get(id), await client.getVideo(account, id));
      assert.equal(listed.get(videos[0] ?? "")?.durationSeconds, 7);
      assert.equal(emulator.requests[0]?.path, `/accounts/${account}/stream`);
      assert.equal(emulator.requests[0]?.query, `id=${videos.join(",")}&limit=2`, "literal commas, and the limit");
    });

    it("sends nothing for no ids, and refuses more than 1000", async () => {
      const client = clientFor(emulator);
      assert.deepEqual(await client.listVideos(account, []), new Map());
      assert.equal(emulator.requests.length, 0);
      await assert.rejects(
        client.listVideos(
          account,
          Array.from({ length: 1001 }, () => cfId()),
        ),
        /at most 1000 ids at once \(got 1001\)/,
      );
      assert.equal(emulator.requests.length, 0);
    });

    it("throws UnexpectedResponseError naming an array of videos when the answer is no list", async () => {
      emulator.options.videoList = "object";
      const videos = [emulator.createVideo(account), emulator.createVideo(account)];
      await assert.rejects(
        clientFor(emulator).listVideos(account, videos),
        (error: unknown) =>
          error instanceof UnexpectedResponseError &&
          /an object where an array of videos was expected/.test(error.message),
      );
    });

    it("reads an empty list in every empty form as no video", async () => {
      const client = clientFor(emulator);
      for (const result of [[], {}, null]) {
        emulator.addFault({ method: "GET", path: /\/stream$/, fault: { kind: "rewriteResult", result } });
        assert.deepEqual(await client.listVideos(account, [cfId(), cfId()]), new Map(), JSON.stringify(result));
      }
    });
  });
});
