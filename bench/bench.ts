/**
 * `npm run bench [-- --json] [-- --only generation|backfill|two] [-- --resources <n>]`: how fast readiness is
 * noticed and how many requests it costs; a back-fill of a whole video library (500 StreamDownloads with both types
 * by default) through the engine at Cloudflare's quota in a window scaled down in time, then a no-op `up` and a
 * refresh of it; and how two `pulumi up`s with one token share Cloudflare's real limit. A benchmark, not a test: it
 * prints a table (and with --json, one JSON object as its last line) and fails only if it cannot run.
 */
import { CloudflareClient } from "../src/core/client";
import { type Emulator, type ProgressDialect, startEmulator } from "../src/emulator";
import { DEFAULT_RATE_BUDGET } from "../src/core/limiter";
import { StreamDownloadProvider } from "../src/dynamic/provider";
import { ensurePulumiCli } from "../scripts/engine";
import { exportStackText, programDir, stackFor } from "../tests/helpers/engine";
import { cfId } from "../tests/helpers/fixtures";
import { packTarball } from "../tests/helpers/pack";

const TOKEN = "bench-token";
const CLOUDFLARE_LIMIT = { limit: 1200, windowMs: 300_000, blockMs: 300_000 };
const args = process.argv.slice(2);
const json = args.includes("--json");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
/** StreamDownloads (both types) in the back-fill. */
const libraryResources = args.includes("--resources") ? Number(args[args.indexOf("--resources") + 1]) : 500;
/**
 * Pulumi runs at most `--parallel` resource operations at once (default 4 per CPU: 8 here), and a StreamDownload
 * holds its slot while it waits, so a large stack wants a larger value; the shared rate limiter, not Pulumi's
 * parallelism, is what keeps the API calls within Cloudflare's limit.
 */
const parallel = args.includes("--parallel") ? Number(args[args.indexOf("--parallel") + 1]) : 100;

interface GenerationRow {
  generationMs: number;
  downloads: number;
  detectionLagMsP50: number;
  detectionLagMsP95: number;
  requestsPerDownload: number;
  naive1sLagMsP95: number;
  naive1sRequestsPerDownload: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function say(line: string): void {
  (json ? process.stderr : process.stdout).write(`${line}\n`);
}

/**
 * Creates `count` downloads in parallel through the provider, and the same with a naive 1-second poller.
 * `progress: "coarse"` makes the emulator report 0 % until a download is ready (an API without fine progress).
 */
async function generation(
  generationMs: number,
  progress: ProgressDialect = "smooth",
  count = 20,
): Promise<GenerationRow> {
  const measure = async (
    create: (emulator: Emulator, account: string, video: string) => Promise<void>,
    rateLimit: typeof CLOUDFLARE_LIMIT | false,
  ) => {
    const emulator = await startEmulator({ token: TOKEN, generationMs, rateLimit, progress });
    try {
      const account = cfId();
      const videos = Array.from({ length: count }, () => emulator.createVideo(account));
      const lags = await Promise.all(
        videos.map(async (video) => {
          await create(emulator, account, video);
          const returned = Date.now();
          return returned - (emulator.storedDownloads(account, video)[0]?.readyAt ?? NaN);
        }),
      );
      return { lags, requests: emulator.requests.length / count };
    } finally {
      await emulator.close();
    }
  };

  const ours = measure(async (emulator, accountId, identifier) => {
    const provider = new StreamDownloadProvider({
      log: () => undefined,
      settings: () => ({
        baseUrl: emulator.baseUrl,
        credentials: { kind: "token", token: TOKEN },
        budget: DEFAULT_RATE_BUDGET,
      }),
    });
    await provider.create({
      accountId,
      identifier,
      downloadTypes: ["default"],
      waitForReady: true,
      readyTimeoutSeconds: 600,
    });
  }, CLOUDFLARE_LIMIT);
  const naive = measure(async (emulator, account, video) => {
    const client = new CloudflareClient({ baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN } });
    await client.createDownload(account, video, "default");
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if ((await client.getDownloads(account, video)).default?.status === "ready") return;
    }
    // No rate limit for the naive poller: at 60 s, 20 of them pass Cloudflare's 1200 requests per 5 minutes
    // and would sit out a 5-minute block.
  }, false);
  const [o, n] = await Promise.all([ours, naive]);
  return {
    generationMs,
    downloads: count,
    detectionLagMsP50: percentile(o.lags, 50),
    detectionLagMsP95: percentile(o.lags, 95),
    requestsPerDownload: o.requests,
    naive1sLagMsP95: percentile(n.lags, 95),
    naive1sRequestsPerDownload: n.requests,
  };
}

/** What the emulator's request log says about a run: requests by kind, and the 429s. */
interface RequestCounts {
  requests: number;
  http429: number;
  /** `GET .../downloads`: adoption reads, status reads, refresh reads. */
  downloadLists: number;
  /** `GET /accounts/{id}/stream?id=...`: gathered video reads. */
  videoLists: number;
  /** `GET .../stream/{id}`: a video read on its own. */
  videoReads: number;
  posts: number;
}

function countRequests(emulator: Emulator): RequestCounts {
  const get = emulator.requests.filter((r) => r.method === "GET");
  return {
    requests: emulator.requests.length,
    http429: emulator.requests.filter((r) => r.status === 429).length,
    downloadLists: get.filter((r) => r.path.endsWith("/downloads")).length,
    videoLists: get.filter((r) => /\/stream$/.test(r.path)).length,
    videoReads: get.filter((r) => /\/stream\/[0-9a-f]{32}$/.test(r.path)).length,
    posts: emulator.requests.filter((r) => r.method === "POST").length,
  };
}

interface BackfillResult {
  /** Cloudflare's quota, in a window this many times shorter than its 5 minutes. */
  limit: { quota: number; windowMs: number; timeScale: number };
  parallel: number;
  resources: number;
  generationMs: number;
  up: RequestCounts & {
    wallMs: number;
    /** Requests sent / quota x window: the least time Cloudflare's limit allows for them. */
    floorMs: number;
    requestsPerResource: number;
    failures: number;
    /** HEADs of download URLs (no API quota). */
    deliveryRequests: number;
  };
  noopUp: { wallMs: number; requests: number };
  refresh: RequestCounts & {
    wallMs: number;
    floorMs: number;
    requestsPerResource: number;
    failures: number;
    deliveryRequests: number;
  };
  stateBytesPerResource: number;
}

/**
 * A whole video library back-filled through the engine: `pulumi up --parallel <resources>` of `resources`
 * StreamDownloads with both types, the package installed from `npm pack`, against Cloudflare's quota (1200) in a
 * window 5 times shorter than its 5 minutes (the provider follows the window the answers announce), so that the
 * limit binds and the run still takes minutes. Then a no-op `up`, and a refresh on a fresh window.
 */
async function backfill(resources: number, generationMs = 10_000): Promise<BackfillResult> {
  ensurePulumiCli();
  const timeScale = 5;
  const windowMs = CLOUDFLARE_LIMIT.windowMs / timeScale;
  const limit = { limit: CLOUDFLARE_LIMIT.limit, windowMs, blockMs: CLOUDFLARE_LIMIT.blockMs / timeScale };
  const emulator = await startEmulator({ token: TOKEN, generationMs, rateLimit: limit });
  const program = programDir("downloads", { tarball: packTarball() });
  const floor = (requests: number) => Math.round((requests / limit.limit) * windowMs);
  try {
    const stack = await stackFor(program, "library");
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
    const account = cfId();
    const specs = Array.from({ length: resources }, (_, i) => ({
      name: `video-${i}`,
      accountId: account,
      identifier: emulator.createVideo(account),
      downloadTypes: ["default", "audio"],
    }));
    await stack.setConfig("resources", { value: JSON.stringify(specs) });

    let failures = 0;
    let started = Date.now();
    await stack.up({ parallel: resources }).catch((error: Error) => {
      failures = (error.message.match(/\*\*creating failed\*\*/g) ?? []).length || 1;
    });
    const upWallMs = Date.now() - started;
    const upCounts = countRequests(emulator);
    const upDelivery = emulator.deliveryRequests.length;

    emulator.resetRequests();
    started = Date.now();
    await stack.up({ parallel: resources });
    const noopUp = { wallMs: Date.now() - started, requests: emulator.requests.length };

    // The refresh starts on a fresh window, so that its time is its own and not the rest of the up's window.
    const last = emulator.rateLimitWindows(TOKEN).at(-1);
    const wait = last ? last.start + windowMs - Date.now() : 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 100));
    emulator.resetRequests();
    let refreshFailures = 0;
    started = Date.now();
    await stack.refresh({ parallel: resources }).catch(() => (refreshFailures = 1));
    const refreshWallMs = Date.now() - started;
    const refreshCounts = countRequests(emulator);

    const exported = exportStackText(program, "library");
    const downloads = (
      JSON.parse(exported) as { deployment: { resources: Array<{ type: string }> } }
    ).deployment.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/cloudflare:StreamDownload");
    const stateBytesPerResource = Math.round(
      downloads.reduce((sum, r) => sum + JSON.stringify(r).length, 0) / Math.max(1, downloads.length),
    );
    return {
      limit: { quota: limit.limit, windowMs, timeScale },
      parallel: resources,
      resources,
      generationMs,
      up: {
        ...upCounts,
        wallMs: upWallMs,
        floorMs: floor(upCounts.requests),
        requestsPerResource: upCounts.requests / resources,
        failures,
        deliveryRequests: upDelivery,
      },
      noopUp,
      refresh: {
        ...refreshCounts,
        wallMs: refreshWallMs,
        floorMs: floor(refreshCounts.requests),
        requestsPerResource: refreshCounts.requests / resources,
        failures: refreshFailures,
        deliveryRequests: emulator.deliveryRequests.length,
      },
      stateBytesPerResource,
    };
  } finally {
    await emulator.close();
    program.dispose();
  }
}

interface TwoProcessesResult {
  /** StreamDownloads (both types) per `pulumi up`. */
  resourcesEach: number;
  /** Whether the emulator's 429s carried Retry-After. */
  retryAfter: boolean;
  wallMs: number;
  requests: number;
  http429: number;
  failures: number;
  /** Requests the destroys that followed sent, and their 429s. */
  destroyRequests: number;
  destroy429: number;
}

/**
 * Two `pulumi up`s started together with one token, each with the provider's default settings, under Cloudflare's
 * limit (1200 per 5 minutes, a 5-minute block), 429s without Retry-After: the case of two CI pipelines that need
 * more than one window's quota between them (the 2 x 110 two-type StreamDownloads, 1,320 requests).
 */
async function twoProcesses(resourcesEach = 110, generationMs = 10_000): Promise<TwoProcessesResult> {
  ensurePulumiCli();
  const emulator = await startEmulator({
    token: TOKEN,
    generationMs,
    rateLimit: { ...CLOUDFLARE_LIMIT, retryAfter: false },
  });
  const program = programDir("downloads", { tarball: packTarball() });
  try {
    const account = cfId();
    const stacks = await Promise.all(["one", "two"].map((name) => stackFor(program, `two-${name}`)));
    for (const [s, stack] of stacks.entries()) {
      await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
      await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
      const specs = Array.from({ length: resourcesEach }, (_, i) => ({
        name: `video-${s}-${i}`,
        accountId: account,
        identifier: emulator.createVideo(account),
        downloadTypes: ["default", "audio"],
      }));
      await stack.setConfig("resources", { value: JSON.stringify(specs) });
    }
    let failures = 0;
    const started = Date.now();
    await Promise.all(
      stacks.map((stack) =>
        stack.up({ parallel }).catch((error: Error) => {
          failures += (error.message.match(/\*\*creating failed\*\*/g) ?? []).length || 1;
        }),
      ),
    );
    const wallMs = Date.now() - started;
    const requests = emulator.requests.length;
    const http429 = emulator.requests.filter((r) => r.status === 429).length;
    emulator.resetRequests();
    await Promise.all(stacks.map((stack) => stack.destroy({ parallel })));
    return {
      resourcesEach,
      retryAfter: false,
      wallMs,
      requests,
      http429,
      failures,
      destroyRequests: emulator.requests.length,
      destroy429: emulator.requests.filter((r) => r.status === 429).length,
    };
  } finally {
    await emulator.close();
    program.dispose();
  }
}

async function main(): Promise<void> {
  const result: {
    generation?: GenerationRow[];
    coarseGeneration?: GenerationRow[];
    backfill?: BackfillResult;
    twoProcesses?: TwoProcessesResult;
  } = {};
  if (only === undefined || only === "generation") {
    say("generation: 20 downloads created in parallel through the provider (and by a naive 1 s poller)...");
    const [smooth, coarse] = await Promise.all([
      Promise.all([2000, 10_000, 60_000].map((ms) => generation(ms))),
      Promise.all([10_000, 60_000].map((ms) => generation(ms, "coarse"))),
    ]);
    result.generation = smooth;
    result.coarseGeneration = coarse;
    say("");
    say("| generation | lag p50 | lag p95 | target p95 | requests/download | target | naive 1 s: lag p95, requests |");
    say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const g of result.generation) {
      const lagTarget = Math.max(0.02 * g.generationMs, 250);
      const reqTarget = g.generationMs === 10_000 ? 4 : "-";
      say(
        `| ${g.generationMs / 1000} s | ${g.detectionLagMsP50} ms | ${g.detectionLagMsP95} ms | ${lagTarget} ms | ` +
          `${g.requestsPerDownload.toFixed(2)} | ${reqTarget} | ${g.naive1sLagMsP95} ms, ${g.naive1sRequestsPerDownload.toFixed(2)} |`,
      );
    }
    say("\ncoarse progress (0 % until ready): no target yet");
    say("| generation | lag p50 | lag p95 | requests/download | naive 1 s: lag p95, requests |");
    say("| ---: | ---: | ---: | ---: | ---: |");
    for (const g of result.coarseGeneration) {
      say(
        `| ${g.generationMs / 1000} s | ${g.detectionLagMsP50} ms | ${g.detectionLagMsP95} ms | ` +
          `${g.requestsPerDownload.toFixed(2)} | ${g.naive1sLagMsP95} ms, ${g.naive1sRequestsPerDownload.toFixed(2)} |`,
      );
    }
  }
  if (only === undefined || only === "backfill") {
    say(
      `\nback-fill: pulumi up --parallel ${libraryResources} of ${libraryResources} StreamDownloads (both types), ` +
        `Cloudflare's quota (1200) per 60 s instead of 5 minutes; then a no-op up and a refresh...`,
    );
    const b = (result.backfill = await backfill(libraryResources));
    const kinds = (c: RequestCounts) =>
      `${c.downloadLists} downloads lists, ${c.videoLists} video lists, ${c.videoReads} own video reads, ${c.posts} POSTs`;
    say("| run | wall | floor (requests / quota x window) | requests | per resource | 429s | failures |");
    say("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const [name, r] of [
      ["back-fill up", b.up],
      ["refresh", b.refresh],
    ] as const) {
      say(
        `| ${name} | ${(r.wallMs / 1000).toFixed(1)} s | ${(r.floorMs / 1000).toFixed(1)} s | ${r.requests} | ` +
          `${r.requestsPerResource.toFixed(2)} (target ${name === "refresh" ? "about 1" : "4"}) | ${r.http429} | ${r.failures} |`,
      );
    }
    say(`back-fill: ${kinds(b.up)}; ${b.up.deliveryRequests} HEADs of download URLs (no API quota)`);
    say(`refresh: ${kinds(b.refresh)}; ${b.refresh.deliveryRequests} HEADs of download URLs`);
    say(`no-op up: ${(b.noopUp.wallMs / 1000).toFixed(1)} s, ${b.noopUp.requests} requests (target 0)`);
    say(`state: ${b.stateBytesPerResource} bytes per resource (target 4096)`);
  }
  if (only === undefined || only === "two") {
    say(
      `\ntwo processes, one token: two pulumi up --parallel ${parallel} started together, 110 StreamDownloads ` +
        `(both types) each, Cloudflare's limit (1200 / 5 min), 429s without Retry-After...`,
    );
    const t = (result.twoProcesses = await twoProcesses());
    say(
      `| two processes, one token | wall ${(t.wallMs / 1000).toFixed(1)} s | ${t.requests} requests | ` +
        `${t.http429} × 429 | ${t.failures} failures | destroy: ${t.destroyRequests} requests, ${t.destroy429} × 429 |`,
    );
  }
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
