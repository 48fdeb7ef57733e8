/**
 * The fault matrix: every failure Cloudflare (or the network in front of it) can produce, at every place the
 * provider talks to it, once and on every attempt. Whatever happens, the operation either succeeds or fails with
 * a message naming what it did and why, never shows the token, and leaves in Cloudflare exactly the downloads
 * that the resulting state says exist.
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { type Emulator, type Fault, type FaultRule, type RecordedRequest, startEmulator } from "../../src/emulator";
import type { StreamDownloadProvider } from "../../src/dynamic/provider";
import { DEFAULT_RETRY_POLICY } from "../../src/core/retry";
import type { DownloadType, StreamDownloadInputs, StreamDownloadOutputs } from "../../src/core/types";
import { cfId, providerFor, TOKEN } from "../helpers/fixtures";

const ATTEMPTS = DEFAULT_RETRY_POLICY.maxAttempts;
const GENERATION_MS = 200;

interface FaultCase {
  /** How the fault reads in a sentence: "a 503". */
  name: string;
  fault: Fault;
  /** The fault for the every-attempt variant, when it must differ (to keep the file fast). */
  everyAttempt?: Fault;
  /** Whether the client retries it. */
  retriable: boolean;
  /** What the error message must say about the cause. */
  cause: RegExp;
  /** The Retry-After the client must wait before retrying, once and on every attempt. */
  retryAfterMs?: { once: number; every: number };
}

const FAULTS: FaultCase[] = [
  {
    name: "a 429 with Retry-After",
    fault: { kind: "rateLimited", retryAfterSeconds: 1 },
    // Four retries of a whole second each, at four places, would take 16 s; the client reads fractions too.
    everyAttempt: { kind: "rateLimited", retryAfterSeconds: 0.1 },
    retriable: true,
    cause: /Cloudflare API 429 Too Many Requests: .*\[971\]/,
    retryAfterMs: { once: 1000, every: 100 },
  },
  { name: "a 500", fault: { kind: "status", status: 500 }, retriable: true, cause: /Cloudflare API 500 / },
  {
    name: "a 502 with an HTML body",
    fault: { kind: "html", status: 502 },
    retriable: true,
    cause: /Cloudflare API 502 Bad Gateway: .*an HTML page titled "502 Bad Gateway"/,
  },
  { name: "a 503", fault: { kind: "status", status: 503 }, retriable: true, cause: /Cloudflare API 503 / },
  { name: "a 504", fault: { kind: "status", status: 504 }, retriable: true, cause: /Cloudflare API 504 / },
  {
    name: "a connection reset",
    fault: { kind: "reset" },
    retriable: true,
    cause: /failed before a response arrived: .*ECONNRESET/,
  },
  { name: "a hung request", fault: { kind: "hang" }, retriable: true, cause: /timed out after 200 ms/ },
  {
    name: "malformed JSON",
    fault: { kind: "malformed" },
    retriable: true,
    cause: /not a Cloudflare JSON envelope/,
  },
  {
    name: "a lost response",
    fault: { kind: "dropResponse" },
    retriable: true,
    cause: /failed before a response arrived/,
  },
  {
    name: "success: false on a 200",
    fault: { kind: "successFalse" },
    retriable: false,
    cause: /Cloudflare API 200: .*\[10001\] Internal error/,
  },
  {
    name: "a 401",
    fault: { kind: "status", status: 401 },
    retriable: false,
    cause: /Cloudflare API 401 Unauthorized: .*Check that the API token/,
  },
  {
    name: "a 403",
    fault: { kind: "status", status: 403 },
    retriable: false,
    cause: /Cloudflare API 403 Forbidden: .*Check that the API token/,
  },
];

type Operation = "create" | "read" | "delete";

interface Place {
  /** How the place reads in a sentence: "the create POST". */
  name: string;
  operation: Operation;
  /** The requests the fault applies to. The create GETs existing downloads before it POSTs, hence skip 1. */
  rule: { method: string; path: RegExp; skip?: number };
}

/** `GET .../stream/{uid}`: the video itself, read beside its downloads by create and refresh. */
const VIDEO_PATH = /\/stream\/[0-9a-f]{32}$/;

const PLACES: Place[] = [
  { name: "the create POST", operation: "create", rule: { method: "POST", path: /\/downloads\/default$/ } },
  { name: "a poll GET", operation: "create", rule: { method: "GET", path: /\/downloads$/, skip: 1 } },
  { name: "the refresh GET", operation: "read", rule: { method: "GET", path: /\/downloads$/ } },
  { name: "the delete", operation: "delete", rule: { method: "DELETE", path: /\/downloads\/default$/ } },
  { name: "the video GET of a create", operation: "create", rule: { method: "GET", path: VIDEO_PATH } },
  { name: "the video GET of a refresh", operation: "read", rule: { method: "GET", path: VIDEO_PATH } },
];

/** What each operation's error message must start with. */
const CONTEXT: Record<Operation, (video: string) => RegExp> = {
  create: (video) => new RegExp(`^Creating the default and audio downloads of video ${video}: `),
  read: (video) => new RegExp(`^Reading the downloads of video ${video}: `),
  delete: (video) => new RegExp(`^Could not delete the downloads of video ${video}: default: `),
};

type Outcome = { ok: true } | { ok: false; error: unknown };

async function outcome(promise: Promise<void>): Promise<Outcome> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

describe("fault matrix", () => {
  let emulator: Emulator;
  const account = cfId();
  let video: string;

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: GENERATION_MS, rateLimit: false });
  });
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    video = emulator.createVideo(account);
  });
  // Each case's video goes, so that `allDownloads()` shows exactly the current case's downloads.
  afterEach(() => emulator.deleteVideo(account, video));

  function inputs(downloadTypes: DownloadType[]): StreamDownloadInputs {
    return { accountId: account, identifier: video, downloadTypes, waitForReady: true, readyTimeoutSeconds: 10 };
  }

  /** The recorded state of a resource whose downloads of `types` exist now in the emulator. */
  function outputsNow(types: DownloadType[]): StreamDownloadOutputs {
    const live = emulator.downloads(account, video);
    const outs: StreamDownloadOutputs = inputs(types);
    for (const type of types) outs[type] = live[type];
    return outs;
  }

  /** The types of every download the emulator holds, of any video. */
  function everywhere(): string[] {
    return emulator
      .allDownloads()
      .map((d) => `${d.uid === video ? "" : `${d.uid} `}${d.type}`)
      .sort();
  }

  function createdAt(type: DownloadType): number | undefined {
    return emulator.storedDownloads(account, video).find((d) => d.type === type)?.createdAt;
  }

  /** Runs one case and checks every invariant. */
  async function run(place: Place, fc: FaultCase, every: boolean): Promise<void> {
    const fault = every ? (fc.everyAttempt ?? fc.fault) : fc.fault;
    const provider = providerFor(emulator, {
      client: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, attemptTimeoutMs: fault.kind === "hang" ? 200 : 2000 },
    });
    // The starting point: create adopts a ready audio download made earlier (say in the dashboard); refresh
    // reads two ready downloads; delete removes a ready default download.
    let adoptedAt: number | undefined;
    let olds: StreamDownloadOutputs | undefined;
    if (place.operation === "create") {
      emulator.createDownload(account, video, "audio", { ready: true });
      adoptedAt = createdAt("audio");
    } else if (place.operation === "read") {
      emulator.createDownload(account, video, "default", { ready: true });
      emulator.createDownload(account, video, "audio", { ready: true });
      olds = outputsNow(["default", "audio"]);
    } else {
      emulator.createDownload(account, video, "default", { ready: true });
      olds = outputsNow(["default"]);
    }

    emulator.resetRequests();
    const rule: FaultRule = emulator.addFault({ ...place.rule, times: every ? Infinity : 1, fault });
    const id = `${account}/${video}`;
    let createOuts: StreamDownloadOutputs | undefined;
    let readResult: Awaited<ReturnType<StreamDownloadProvider["read"]>> | undefined;
    const result = await outcome(
      (async () => {
        if (place.operation === "create") createOuts = (await provider.create(inputs(["default", "audio"]))).outs;
        else if (place.operation === "read") readResult = await provider.read(id, olds);
        else await provider.delete(id, olds as StreamDownloadOutputs);
      })(),
    );
    emulator.clearFaults();
    const log = [...emulator.requests];

    // Transient faults are survived when they pass; anything else fails. Except: a delete whose every answer was
    // lost after it happened looks again, finds the download gone, and succeeds.
    const lostButDone = place.operation === "delete" && fault.kind === "dropResponse";
    const mustSucceed = (fc.retriable && !every) || lostButDone;
    if (!result.ok && mustSucceed) assert.fail(`expected success, got: ${inspect(result.error)}`);
    if (result.ok && !mustSucceed) assert.fail(`expected a failure, got: ${inspect(createOuts ?? readResult)}`);

    // The error: names the operation and the video, then the cause; never the token.
    if (!result.ok) {
      const error = result.error;
      assert.ok(error instanceof Error, `an Error, not ${inspect(error)}`);
      assert.match(error.message, CONTEXT[place.operation](video));
      assert.match(error.message, fc.cause);
      for (const text of [error.message, String(error), inspect(error, { depth: null, showHidden: true })]) {
        assert.ok(!text.includes(TOKEN), `the token leaked into: ${text}`);
      }
    }
    assert.ok(!provider.lines.join("\n").includes(TOKEN), "the token leaked into a progress line");

    // The emulator holds exactly what the resulting state says exists.
    if (place.operation === "create") {
      if (result.ok) {
        const outs = createOuts as StreamDownloadOutputs;
        const live = emulator.downloads(account, video);
        assert.equal(outs.default?.status, "ready");
        assert.equal(outs.audio?.status, "ready");
        assert.equal(outs.default?.url, live.default?.url);
        assert.deepEqual(everywhere(), ["audio", "default"]);
      } else {
        assert.deepEqual(everywhere(), ["audio"], "none that this create made; the adopted one stays");
        const error = result.error as Error;
        // Rolled back: the default download existed only if the POST went through.
        const madeOne = place.name === "a poll GET" || (place.rule.method === "POST" && fault.kind === "dropResponse");
        assert.equal(/The default download this step created was deleted again\./.test(error.message), madeOne);
        assert.doesNotMatch(error.message, /Could not delete what this step created/);
      }
      assert.equal(createdAt("audio"), adoptedAt, "the adopted download is the same one, not regenerated");
    } else if (place.operation === "read") {
      assert.deepEqual(everywhere(), ["audio", "default"], "a read changes nothing");
      if (result.ok) {
        const live = emulator.downloads(account, video);
        assert.equal(readResult?.id, id);
        for (const type of ["default", "audio"] as const) {
          // The live state, and the file's facts from a HEAD of its URL.
          const { sizeBytes, contentType, ...download } = readResult?.props?.[type] ?? {};
          assert.deepEqual(download, live[type]);
          assert.ok(sizeBytes !== undefined && sizeBytes > 0 && contentType !== undefined, type);
        }
      }
    } else if (result.ok) {
      assert.deepEqual(everywhere(), []);
    } else {
      assert.deepEqual(everywhere(), ["default"], "a failed delete loses nothing");
    }

    // The request log: retriable faults were retried (after Retry-After when given), others sent once.
    const matching = log.filter((r) => r.method === place.rule.method && place.rule.path.test(r.path));
    const attempts = matching.slice(place.rule.skip ?? 0);
    const faulted = attempts.filter((r) => r.fault !== undefined);
    const expected = !fc.retriable ? 1 : every ? ATTEMPTS : 1;
    assert.equal(rule.applied, expected, `the fault applied ${expected} time(s)`);
    assert.equal(faulted.length, expected);
    if (!fc.retriable) {
      assert.equal(attempts.length, 1, "a non-retriable failure is not retried");
    } else if (every) {
      assert.equal(attempts.length, ATTEMPTS, `gave up after ${ATTEMPTS} attempts`);
    } else {
      const retry = attempts[1];
      assert.ok(retry && retry.fault === undefined, "the request was sent again");
      assert.ok(retry.status === 200 || (place.operation === "delete" && retry.status === 404), `got ${retry.status}`);
    }
    if (fc.retryAfterMs) {
      const wait = every ? fc.retryAfterMs.every : fc.retryAfterMs.once;
      for (let i = 1; i < Math.min(attempts.length, expected + 1); i++) {
        const gap = (attempts[i] as RecordedRequest).at - (attempts[i - 1] as RecordedRequest).at;
        assert.ok(gap >= wait - 5, `waited ${gap} ms before attempt ${i + 1}; Retry-After said ${wait} ms`);
      }
    }

    // The lost create answer: the retried POST found the download made by the lost one rather than a new one.
    if (place.operation === "create" && place.rule.method === "POST" && fault.kind === "dropResponse" && !every) {
      const [lost, retry] = attempts as [RecordedRequest, RecordedRequest];
      const made = createdAt("default") as number;
      assert.ok(made >= lost.at && made < retry.at, "the download of the lost POST was kept, not made again");
    }
  }

  for (const place of PLACES) {
    describe(`${place.operation} at ${place.name}`, () => {
      const op = place.operation;
      const untouched =
        op === "create" ? "leaving nothing behind" : op === "read" ? "changing nothing" : "keeping the download";
      for (const fc of FAULTS) {
        if (fc.retriable) {
          it(`${op} survives ${fc.name} on ${place.name}`, () => run(place, fc, false));
          const outcome =
            op === "delete" && fc.fault.kind === "dropResponse"
              ? "and succeeds once a GET shows the download is gone"
              : untouched;
          const verb = op === "delete" && fc.fault.kind === "dropResponse" ? "is not fooled by" : "fails clearly on";
          it(`${op} ${verb} ${fc.name} on every attempt at ${place.name}, ${outcome}`, () => run(place, fc, true));
        } else {
          it(`${op} fails clearly on ${fc.name} on ${place.name} without retrying, ${untouched}`, () =>
            run(place, fc, false));
        }
      }
    });
  }
});
