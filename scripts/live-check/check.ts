/**
 * The live check itself: the provider's calls on a real video (or a replayed transcript of them), the same
 * calls against the emulator in its default dialect with a video in the same state, and the differences in
 * shape between the two, call by call.
 */
import { randomBytes } from "node:crypto";
import { DEFAULT_BASE_URL, type Credentials } from "../../src/core/client";
import { type Clock, virtualClock } from "../../src/core/clock";
import { parseDownloadList, parseVideo } from "../../src/core/parse";
import type { PollPolicy } from "../../src/core/poll-policy";
import { phaseOf } from "../../src/core/download-state";
import { DOWNLOAD_TYPES, type DownloadType } from "../../src/core/download-types";
import { startEmulator } from "../../src/emulator/server";
import { type RecordedCall, runSequence, type SequenceEnd, type SequenceOutcome } from "./sequence";
import { type CallKind, compareResults, summarize, videoListFailure } from "./shape";
import { Redactor, type Transcript, TRANSCRIPT_FORMAT, type TranscriptCall, writeTranscript } from "./transcript";

/** Where the "live" answers come from: Cloudflare (or any base URL), or a transcript written earlier. */
export type LiveSource =
  | {
      kind: "api";
      baseUrl: string;
      credentials: Credentials;
      accountId: string;
      videoId: string;
      types: readonly DownloadType[];
      timeoutMs: number;
      /** Also write the redacted transcript here. */
      json?: string;
    }
  | { kind: "replay"; transcript: Transcript; file: string };

/** Settings of a check. */
export interface LiveCheckOptions {
  live: LiveSource;
  /** Each line of the report, in order. */
  print: (line: string) => void;
  /** Stops waiting early (Ctrl-C); what was created is still deleted. */
  signal?: AbortSignal;
  /** The waiting policy of both runs. @default the provider's */
  pollPolicy?: PollPolicy;
  /** How long the emulator takes to generate a download, in ms. @default 2000 */
  referenceGenerationMs?: number;
  /** What the live run waits on (tests give a stand-in's virtual clock). @default the real clock */
  clock?: Clock;
}

/** One difference, with the calls it was seen in. */
export interface ReportedDifference {
  /** The steps, e.g. `GET downloads (before, wait 1)`. */
  calls: string;
  path: string;
  live: string;
  emulator: string;
}

/** What a check found, and the exit status for it: 0 it ran, 1 the live API failed, 2 it could not start. */
export interface LiveCheckReport {
  exitCode: 0 | 1 | 2 | 130;
  calls: number;
  differences: ReportedDifference[];
  /** The redacted record of the live calls (the replayed one, for a replay). */
  transcript: Transcript;
}

/** What made a transcript, and what it hides. */
const NOTE =
  "Made by `npm run live-check` (pulumi-cloudflare-stream-download). The account id, the video id, the customer " +
  "code, credentials, token-like strings and the video's own values (meta, allowed origins, public details, " +
  "creator) are replaced by placeholders; keys and value types are as Cloudflare sent them.";

function kindOfStep(call: TranscriptCall): { kind: CallKind; type?: DownloadType } {
  const type = DOWNLOAD_TYPES.find((t) => call.path.endsWith(`/downloads/${t}`));
  if (call.method === "POST" && type) return { kind: "create", type };
  if (call.method === "DELETE" && type) return { kind: "delete", type };
  if (call.path.endsWith("/downloads")) return { kind: "list" };
  if (/\/stream(\?|$)/.test(call.path)) return { kind: "videos" };
  return { kind: "video" };
}

function line(call: TranscriptCall): string {
  const what = call.error !== undefined ? `failed: ${call.error}` : summarize(kindOfStep(call).kind, call.result);
  return `${call.method} ${call.path} ${call.status} ${what}`;
}

function describeEnd(end: SequenceEnd): string {
  switch (end.kind) {
    case "completed":
      return "completed";
    case "timed out":
      return `timed out (${end.waiting.join(", ")} not ready in time)`;
    case "interrupted":
      return "interrupted";
    case "video not ready":
      return `video not ready to stream (state ${end.state})`;
    case "failed":
      return `failed: ${end.error.message}`;
  }
}

/** The state of the live video as its first calls saw it: what the emulator's video must look like. */
interface VideoState {
  requireSignedURLs: boolean;
  /** Downloads present before the check, with their status. */
  downloads: Array<{ type: DownloadType; status: string }>;
}

function videoState(calls: readonly TranscriptCall[]): VideoState {
  const video = calls.find((c) => kindOfStep(c).kind === "video" && c.error === undefined);
  const list = calls.find((c) => kindOfStep(c).kind === "list" && c.error === undefined);
  const downloads = parseDownloadList(list?.result) ?? {};
  return {
    requireSignedURLs: parseVideo(video?.result).requireSignedURLs,
    downloads: DOWNLOAD_TYPES.flatMap((type) => {
      const d = downloads[type];
      return d ? [{ type, status: d.status }] : [];
    }),
  };
}

/** Runs the same calls against a fresh emulator, in its default dialect, with a video in the same state. */
async function runReference(
  state: VideoState,
  types: readonly DownloadType[],
  options: LiveCheckOptions,
): Promise<TranscriptCall[]> {
  const token = randomBytes(20).toString("hex");
  // The emulator generates on a clock of its own that moves only when the run waits on it: the reference takes
  // no real time, and plays out the same however loaded the machine is. Its download URLs have Cloudflare's form,
  // whose shape the live answers are compared with (not the emulator's delivery server).
  const clock = virtualClock();
  const emulator = await startEmulator({
    token,
    generationMs: options.referenceGenerationMs ?? 2000,
    now: clock.now,
    downloadUrls: "cloudflare",
  });
  try {
    const accountId = randomBytes(16).toString("hex");
    const videoId = emulator.createVideo(accountId, { requireSignedURLs: state.requireSignedURLs });
    for (const { type, status } of state.downloads) {
      if (status === "error") emulator.failNextDownloads({ types: [type], afterMs: 0 });
      emulator.createDownload(accountId, videoId, type, { ready: status === "ready" });
    }
    const outcome: SequenceOutcome = await runSequence(
      { baseUrl: emulator.baseUrl, credentials: { kind: "token", token }, accountId, videoId },
      { types, timeoutMs: 60_000, clock, ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}) },
    );
    if (outcome.end.kind !== "completed") {
      throw new Error(`the same calls against the emulator did not complete: ${describeEnd(outcome.end)}`);
    }
    const redactor = new Redactor({ account: accountId, video: videoId }, [token]);
    return outcome.calls.map((c) => redactor.call(plain(c)));
  } finally {
    await emulator.close();
  }
}

/** A recorded call as the transcript keeps it. */
function plain(call: RecordedCall): TranscriptCall {
  const { kind: _kind, type: _type, ...rest } = call;
  return rest;
}

/** The phase of a wait: where each download stood then, as the provider decides it (download-state.ts). */
function phase(call: TranscriptCall): string {
  const list = parseDownloadList(call.result) ?? {};
  return DOWNLOAD_TYPES.map((type) => `${type}:${phaseOf(list[type])}`).join(" ");
}

const WAIT = /^GET downloads \(wait \d+\)$/;

/**
 * The emulator's call to compare a live call with: the same step; for a wait, the emulator's wait in the same
 * phase (downloads in progress, or ready), since the two generate at their own pace.
 */
function counterpart(
  call: TranscriptCall,
  index: number,
  reference: readonly TranscriptCall[],
): TranscriptCall | undefined {
  if (!WAIT.test(call.step)) return reference.find((r) => r.step === call.step);
  const waits = reference.filter((r) => WAIT.test(r.step));
  const liveWaits = index;
  return waits.find((r) => phase(r) === phase(call)) ?? waits[Math.min(liveWaits, waits.length - 1)];
}

/** Compares every live call with its emulator counterpart; equal differences seen in several calls count once. */
export function compareTranscripts(
  live: readonly TranscriptCall[],
  reference: readonly TranscriptCall[],
): ReportedDifference[] {
  const found = new Map<string, ReportedDifference & { steps: string[] }>();
  let waitIndex = 0;
  for (const call of live) {
    const { kind, type } = kindOfStep(call);
    // A failed call ends the check, but for the video list's: the provider falls back, and the check says so.
    if (call.error !== undefined && kind !== "videos") continue;
    const other = counterpart(call, waitIndex, reference);
    if (WAIT.test(call.step)) waitIndex++;
    const differences =
      other === undefined
        ? [{ path: "$", live: "this call", emulator: "no such call" }]
        : call.error !== undefined
          ? [videoListFailure(call.status, other.result)]
          : compareResults(kind, call.result, other.result, type);
    for (const d of differences) {
      const key = `${kind}|${d.path}|${d.live}|${d.emulator}`;
      const entry = found.get(key) ?? { ...d, calls: "", steps: [] };
      if (!entry.steps.includes(call.step)) entry.steps.push(call.step);
      found.set(key, entry);
    }
  }
  return [...found.values()].map(({ steps, ...d }) => ({ ...d, calls: joinSteps(steps) }));
}

/** `GET downloads (before)`, `GET downloads (wait 1)` -> `GET downloads (before, wait 1)`. */
function joinSteps(steps: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const step of steps) {
    const match = /^(.*) \((.*)\)$/.exec(step);
    const [prefix, detail] = match ? [match[1] ?? step, match[2]] : [step, undefined];
    const details = groups.get(prefix) ?? [];
    if (detail !== undefined) details.push(detail);
    groups.set(prefix, details);
  }
  return [...groups]
    .map(([prefix, details]) => (details.length ? `${prefix} (${details.join(", ")})` : prefix))
    .join(", ");
}

/** Runs a check and prints its report; the caller exits with `exitCode`. */
export async function runLiveCheck(options: LiveCheckOptions): Promise<LiveCheckReport> {
  const { live, print } = options;
  let transcript: Transcript;
  if (live.kind === "replay") {
    transcript = live.transcript;
    print(
      `live-check: replaying ${live.file} (${transcript.calls.length} calls, types ${transcript.types.join(", ")})`,
    );
    for (const call of transcript.calls) print(line(call));
  } else {
    const secrets =
      live.credentials.kind === "token" ? [live.credentials.token] : [live.credentials.apiKey, live.credentials.email];
    const redactor = new Redactor({ account: live.accountId, video: live.videoId }, secrets);
    print(
      `live-check: types ${live.types.join(", ")} of video ${redactor.text(live.videoId)} at ` +
        `${redactor.text(live.baseUrl)}; creates only the downloads the video lacks, and deletes only those`,
    );
    let outcome: SequenceOutcome;
    try {
      outcome = await runSequence(
        { baseUrl: live.baseUrl, credentials: live.credentials, accountId: live.accountId, videoId: live.videoId },
        {
          types: live.types,
          timeoutMs: live.timeoutMs,
          ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
          onCall: (call) => print(line(redactor.call(plain(call)))),
          onRetry: (n) =>
            print(`  retrying ${n.method} ${redactor.text(n.path)} in ${n.delayMs} ms: ${redactor.text(n.reason)}`),
        },
      );
    } catch (error) {
      // A bug rather than an API failure: its message reaches the console, so it is redacted like the rest.
      throw new Error(redactor.text(error instanceof Error ? error.message : String(error)));
    }
    transcript = {
      format: TRANSCRIPT_FORMAT,
      note: NOTE,
      endpoint: live.baseUrl.replace(/\/+$/, "") === DEFAULT_BASE_URL ? "cloudflare" : "other",
      types: [...live.types],
      // The outcome of a failure quotes the failed call's message: redacted as that call is.
      outcome: redactor.text(describeEnd(outcome.end)),
      calls: outcome.calls.map((c) => redactor.call(plain(c))),
    };
    if (live.json !== undefined) {
      writeTranscript(live.json, transcript);
      print(`live-check: wrote the redacted transcript to ${redactor.text(live.json)}`);
    }
    const n = outcome.calls.length;
    const end = outcome.end;
    if (end.kind === "failed") {
      print(`live-check: the live API failed after ${n} calls: ${redactor.text(end.error.message)}`);
      print(`live-check: deleted what it had created (${outcome.created.join(", ") || "nothing"})`);
      return { exitCode: 1, calls: n, differences: [], transcript };
    }
    if (end.kind === "video not ready") {
      print(
        `live-check: the video is not ready to stream (state ${end.state}), so no download can be created yet; ` +
          `run the check again once it is (nothing was created)`,
      );
      return { exitCode: 2, calls: n, differences: [], transcript };
    }
    if (end.kind === "interrupted") {
      print(`live-check: interrupted after ${n} calls; deleted what it had created, compared nothing`);
      return { exitCode: 130, calls: n, differences: [], transcript };
    }
    if (end.kind === "timed out") {
      print(
        `live-check: ${end.waiting.join(", ")} not ready within the timeout; deleted it anyway and compared ` +
          `what was seen (a longer --timeout sees the ready state too)`,
      );
    }
  }

  const reference = await runReference(videoState(transcript.calls), transcript.types, options);
  print(
    `live-check: the same calls against the emulator (default dialect, a video in the same state): ${reference.length} calls`,
  );
  const differences = compareTranscripts(transcript.calls, reference);
  for (const d of differences) print(`difference: ${d.calls} ${d.path}: live ${d.live}, emulator ${d.emulator}`);
  print(`live-check: ${transcript.calls.length} calls, ${differences.length} differences from the emulator`);
  return { exitCode: 0, calls: transcript.calls.length, differences, transcript };
}
