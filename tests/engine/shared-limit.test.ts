import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { ensurePulumiCli, programDir, type ProgramDir, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { packTarball } from "../helpers/pack";

/**
 * The emulator's quota, small and short so that the two `up`s together need several windows: the provider
 * learns it only from the Ratelimit headers (its own settings are the defaults, 1000 per 5 minutes).
 */
const QUOTA = 30;
const WINDOW_MS = 10_000;
/** StreamDownloads (both types) per stack: about 4 requests each, so the two stacks need about twice the quota. */
const RESOURCES = 8;

describe("two `pulumi up`s of the packed package with one token share Cloudflare's rate limit", function () {
  this.timeout(15 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stacks: Stack[];
  const account = cfId();

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({
      token: TOKEN,
      generationMs: 1500,
      rateLimit: { limit: QUOTA, windowMs: WINDOW_MS, blockMs: WINDOW_MS },
    });
    program = programDir("downloads", { tarball: packTarball() });
    stacks = await Promise.all(["first", "second"].map((name) => stackFor(program, name)));
    for (const stack of stacks) {
      await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
      await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
    }
  });
  after(async () => {
    for (const stack of stacks ?? []) await stack.destroy().catch(() => undefined);
    await emulator?.close();
    program?.dispose();
  });

  /** Gives each stack RESOURCES new videos; returns every video. */
  async function newVideos(): Promise<string[]> {
    const videos: string[] = [];
    for (const [s, stack] of stacks.entries()) {
      const specs = Array.from({ length: RESOURCES }, (_, i) => {
        const identifier = emulator.createVideo(account);
        videos.push(identifier);
        return { name: `video-${s}-${i}`, accountId: account, identifier, downloadTypes: ["default", "audio"] };
      });
      await stack.setConfig("resources", { value: JSON.stringify(specs) });
    }
    return videos;
  }

  /** No 429, and no window of the token's quota let more through than the quota, as the emulator counted. */
  function assertWithinLimit(what: string): void {
    const refused = emulator.requests.filter((r) => r.status === 429);
    const start = emulator.requests[0]?.at ?? 0;
    const log = emulator.requests.map((r) => `${r.at - start}:${r.method[0]}${r.status}`).join(" ");
    assert.equal(refused.length, 0, `${what}: ${refused.length} requests were answered 429: ${log}`);
    const windows = emulator.rateLimitWindows(TOKEN);
    for (const w of windows) {
      assert.ok(w.allowed <= QUOTA && w.refused === 0, `${what}: a window counted ${JSON.stringify(w)}`);
    }
  }

  /**
   * Waits until the token's current window (what the previous test's destroy spent) is over, so each test starts
   * on a fresh quota: a process's first request cannot know what others spent, and with the quota already gone
   * it would meet a 429 however careful it is.
   */
  async function freshWindow(): Promise<void> {
    const last = emulator.rateLimitWindows(TOKEN).at(-1);
    const wait = last ? last.start + WINDOW_MS - Date.now() : 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 100));
  }

  async function bothUpAndDown(what: string): Promise<void> {
    const videos = await newVideos();
    const before = emulator.rateLimitWindows(TOKEN).length;
    const ups = await Promise.all(stacks.map((stack) => stack.up()));
    for (const up of ups) assert.equal(up.summary.result, "succeeded");
    for (const video of videos) {
      const live = emulator.downloads(account, video);
      assert.equal(live.default?.status, "ready", `${what}: ${video}`);
      assert.equal(live.audio?.status, "ready", `${what}: ${video}`);
    }
    const sent = emulator.requests.length;
    assert.ok(sent > QUOTA, `${what}: the two ups needed more than one window's quota (${sent} requests)`);
    assert.ok(emulator.rateLimitWindows(TOKEN).length - before >= 2, `${what}: the work spread over windows`);
    assertWithinLimit(`${what}, up`);

    await Promise.all(stacks.map((stack) => stack.destroy()));
    for (const video of videos) assert.deepEqual(emulator.storedDownloads(account, video), []);
    assertWithinLimit(`${what}, destroy`);
  }

  it("both succeed with no 429 when a 429 would carry Retry-After", async () => {
    await freshWindow();
    emulator.resetRequests();
    await bothUpAndDown("with Retry-After");
  });

  it("both succeed with no 429 when a 429 would not carry Retry-After, and another client spent part of the quota", async () => {
    emulator.options.rateLimit = { limit: QUOTA, windowMs: WINDOW_MS, blockMs: WINDOW_MS, retryAfter: false };
    await freshWindow();
    emulator.resetRequests();
    emulator.spendQuota(TOKEN, 10); // the dashboard, Terraform or a script, with the same token
    await bothUpAndDown("without Retry-After");
  });
});
