/**
 * Whole video libraries: what many StreamDownloads of one process cost in requests, over real HTTP to the
 * emulator, on a time that the provider, its rate limiter and the emulator share and that moves only when nothing
 * is in flight (tests/helpers/virtual-time.ts): generation takes no real time, and the schedule, hence every count
 * and every delay, is exact on an idle or a loaded machine.
 *
 * The dynamic face is called directly; the plugin's calls arrive over gRPC in real time, which such a clock cannot
 * order, and it runs the same operations (its face is covered in behaviour.test.ts).
 */
import assert from "node:assert/strict";
import { DEFAULT_RATE_BUDGET, sharedLimiter } from "../../src/core/limiter";
import { credentialKey, type ResolvedSettings } from "../../src/core/settings";
import type { StreamDownloadOutputs } from "../../src/core/types";
import { StreamDownloadProvider } from "../../src/dynamic/provider";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { cfId, inputsFor, TOKEN } from "../helpers/fixtures";
import { VirtualTime } from "../helpers/virtual-time";

/** Cloudflare's default policy, but for the first look: 1 s, as the provider's. */
const GENERATION_MS = 10_000;

describe("whole video libraries: requests per resource (virtual time, over HTTP)", function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let time: VirtualTime;
  let settings: ResolvedSettings;
  let account: string;
  let lines: string[];

  beforeEach(async () => {
    time = new VirtualTime();
    // Cloudflare's limit (1200 per 5 minutes) on the shared time: the provider's limiter follows its count.
    emulator = await startEmulator({ token: TOKEN, generationMs: GENERATION_MS, now: time.now });
    settings = { baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN }, budget: DEFAULT_RATE_BUDGET };
    // The process's limiter for this emulator, made first so that it waits on the shared time too.
    sharedLimiter(credentialKey(settings), DEFAULT_RATE_BUDGET, time);
    account = cfId();
    lines = [];
  });
  afterEach(() => emulator.close());

  /** A provider as the dynamic face's process has one per resource; all share the process's limiter. */
  const provider = () =>
    new StreamDownloadProvider({
      clock: time,
      log: (line) => lines.push(line),
      settings: () => settings,
      // Attempts never time out here: a retry would be a request the schedule did not ask for.
      client: { attemptTimeoutMs: 600_000 },
    });

  /** Runs operations together on the shared time, until all are done. */
  const together = <T>(work: Array<() => Promise<T>>): Promise<T[]> =>
    time.run(
      Promise.all(work.map((w) => w())),
      () => sharedLimiter(credentialKey(settings), DEFAULT_RATE_BUDGET, time).active > 0,
    );

  const count = () => {
    const get = emulator.requests.filter((r) => r.method === "GET");
    return {
      all: emulator.requests.length,
      downloadLists: get.filter((r) => r.path.endsWith("/downloads")).length,
      videoLists: get.filter((r) => /\/stream$/.test(r.path)).length,
      ownVideoReads: get.filter((r) => /\/stream\/[0-9a-f]{32}$/.test(r.path)).length,
      posts: emulator.requests.filter((r) => r.method === "POST").length,
      http429: emulator.requests.filter((r) => r.status === 429).length,
    };
  };

  /** How late the first read of a video's downloads list that saw all of them ready came, in ms. */
  const noticedLate = (video: string): number => {
    const readyAt = Math.max(...emulator.storedDownloads(account, video).map((d) => d.readyAt));
    const reads = emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith(`${video}/downloads`));
    const seen = reads.find((r) => r.at >= readyAt);
    assert.ok(seen, `video ${video} was read after it was ready`);
    return seen.at - readyAt;
  };

  it("back-fills 150 two-type resources in 4 requests each, plus the shared video lists and one scouting read", async () => {
    const n = 150;
    const videos = Array.from({ length: n }, () => emulator.createVideo(account));
    const made = await together(
      videos.map(
        (video) => () => provider().create(inputsFor(account, video, { downloadTypes: ["default", "audio"] })),
      ),
    );

    for (const { outs } of made) {
      assert.equal(outs?.default?.status, "ready");
      assert.equal(outs?.audio?.status, "ready");
    }
    const c = count();
    assert.equal(c.http429, 0);
    assert.equal(c.posts, 2 * n, "one POST per download");
    assert.equal(c.videoLists, Math.ceil(n / 100), "the video reads, gathered 100 to a request");
    assert.equal(c.ownVideoReads, 0);
    // Per resource: the adoption read and one read that sees both ready, timed by what the first reading taught;
    // that first reading is the only extra one (the others waited for it instead of reading early themselves).
    assert.equal(c.downloadLists, 2 * n + 1, `downloads lists: ${c.downloadLists}`);
    assert.equal(c.all, 4 * n + Math.ceil(n / 100) + 1);
    assert.ok(c.all / n <= 4.03, `${c.all / n} requests per resource`);
  });

  it("creates 20 one-type downloads together at a 10 s generation in at most 4 requests each, each noticed one margin late", async () => {
    const videos = Array.from({ length: 20 }, () => emulator.createVideo(account));
    await together(videos.map((video) => () => provider().create(inputsFor(account, video))));

    const c = count();
    assert.ok(c.all <= 4 * 20, `${c.all} requests for 20 downloads`);
    assert.equal(c.all, 20 + 1 + 20 + 20 + 1, "adoption reads, one video list, POSTs, one read each and the scout's");
    // The 100 ms margin after the finish the 10 % read at 1 s foretold: within max(2 % of 10 s, 250 ms).
    for (const video of videos) assert.equal(noticedLate(video), 100, `video ${video}`);
  });

  it("refreshes 250 resources with one request each, plus one video list per 100", async () => {
    const n = 250;
    const videos = Array.from({ length: n }, () => emulator.createVideo(account));
    for (const video of videos) {
      emulator.createDownload(account, video, "default", { ready: true });
      emulator.createDownload(account, video, "audio", { ready: true });
    }
    const prior = (video: string): StreamDownloadOutputs => ({
      ...inputsFor(account, video, { downloadTypes: ["default", "audio"] }),
      default: { status: "ready", percentComplete: 100, url: "" },
      audio: { status: "ready", percentComplete: 100, url: "" },
    });
    const read = await together(videos.map((video) => () => provider().read(`${account}/${video}`, prior(video))));

    for (const r of read) assert.equal(r.props?.audio?.status, "ready");
    const c = count();
    assert.deepEqual(
      { ...c, all: c.all / n },
      {
        all: 1 + Math.ceil(n / 100) / n,
        downloadLists: n,
        videoLists: Math.ceil(n / 100),
        ownVideoReads: 0,
        posts: 0,
        http429: 0,
      },
    );
  });

  for (const [form, why] of [
    [
      "forbidden",
      /Cloudflare answered 403: \[10000\] Authentication error; the token may lack the right to list videos/,
    ],
    ["object", /Cloudflare's answer was not a list of videos/],
  ] as const) {
    it(`falls back to each video's own read when the video list answers ${form}, and says so once`, async () => {
      emulator.options.videoList = form;
      const n = 30;
      const videos = Array.from({ length: n }, () => emulator.createVideo(account));
      const made = await together(videos.map((video) => () => provider().create(inputsFor(account, video))));
      const read = await together(
        made.map(
          ({ id, outs }) =>
            () =>
              provider().read(id, outs),
        ),
      );

      for (const r of read) assert.equal(r.props?.default?.status, "ready");
      const c = count();
      assert.equal(c.videoLists, 1, "the list is tried once, then no more this process");
      assert.equal(c.ownVideoReads, 2 * n, "each video read on its own, at create and at refresh");
      const said = lines.filter((l) => /reading videos with one request to the video list failed/.test(l));
      assert.equal(said.length, 1, said.join("\n"));
      assert.match(said[0] ?? "", why);
      assert.match(said[0] ?? "", /each video is read with its own request for the rest of this run/);
    });
  }
});
