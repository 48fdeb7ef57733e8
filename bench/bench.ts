/**
 * `npm run bench [-- --json] [-- --only generation|scale|two]`: how fast readiness is noticed, how many requests it
 * costs, how a 100-resource `pulumi up` behaves under Cloudflare's real rate limit, and how two `pulumi up`s with
 * one token share that limit. A benchmark, not a test: it prints a table (and with --json, one JSON object as its
 * last line) and fails only if it cannot run.
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

interface ScaleResult {
  scale: {
    parallel: number;
    resources: number;
    downloads: number;
    generationMs: number;
    wallMs: number;
    requests: number;
    http429: number;
    failures: number;
  };
  noopUp: { resources: number; wallMs: number; requests: number };
  stateBytesPerResource: number;
}

/** A real `pulumi up` of `resources` StreamDownloads (both types), the package installed from `npm pack`. */
async function scale(resources = 100, generationMs = 10_000): Promise<ScaleResult> {
  ensurePulumiCli();
  const emulator = await startEmulator({ token: TOKEN, generationMs, rateLimit: CLOUDFLARE_LIMIT });
  const program = programDir("downloads", { tarball: packTarball() });
  try {
    const stack = await stackFor(program, "scale");
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
    await stack.up({ parallel }).catch((error: Error) => {
      failures = (error.message.match(/\*\*creating failed\*\*/g) ?? []).length || 1;
    });
    const wallMs = Date.now() - started;
    const requests = emulator.requests.length;
    const http429 = emulator.requests.filter((r) => r.status === 429).length;

    emulator.resetRequests();
    started = Date.now();
    await stack.up();
    const noop = { resources, wallMs: Date.now() - started, requests: emulator.requests.length };

    const exported = exportStackText(program, "scale");
    const downloads = (
      JSON.parse(exported) as { deployment: { resources: Array<{ type: string }> } }
    ).deployment.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/cloudflare:StreamDownload");
    const stateBytesPerResource = Math.round(
      downloads.reduce((sum, r) => sum + JSON.stringify(r).length, 0) / Math.max(1, downloads.length),
    );
    await stack.destroy();
    return {
      scale: { parallel, resources, downloads: resources * 2, generationMs, wallMs, requests, http429, failures },
      noopUp: noop,
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
  const result: Partial<ScaleResult> & {
    generation?: GenerationRow[];
    coarseGeneration?: GenerationRow[];
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
      const lagTarget = Math.max(0.1 * g.generationMs, 1000);
      const reqTarget = g.generationMs >= 60_000 ? 6 : g.generationMs >= 10_000 ? 5 : "-";
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
  if (only === undefined || only === "scale") {
    say(
      `\nscale: pulumi up --parallel ${parallel} of 100 StreamDownloads (200 downloads), ` +
        `Cloudflare's limit enforced (1200 / 5 min)...`,
    );
    Object.assign(result, await scale());
    const s = result.scale;
    if (s && result.noopUp) {
      say(
        `| scale | wall ${(s.wallMs / 1000).toFixed(1)} s (target ${(s.generationMs + 60_000) / 1000} s) | ${s.requests} requests | ${s.http429} × 429 | ${s.failures} failures |`,
      );
      say(
        `| no-op up | wall ${(result.noopUp.wallMs / 1000).toFixed(1)} s | ${result.noopUp.requests} requests (target 0) |`,
      );
      say(`| state | ${result.stateBytesPerResource} bytes per resource (target 4096) |`);
    }
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
