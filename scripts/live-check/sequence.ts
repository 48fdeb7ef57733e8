/**
 * The calls the provider makes on one video, in its order, recorded: read the video, list its downloads, create
 * each requested type it does not have, poll the list until those are ready (in the provider's own waiting loop,
 * src/core/wait.ts, timed by its policy), list once more, read the video again through the video list filtered by
 * id (as the provider reads many videos in one request), and delete only what this run created. Runs the same
 * against Cloudflare and against the emulator.
 */
import { CloudflareClient, type Credentials, type RetryNotice } from "../../src/core/client";
import { CloudflareApiError, NotFoundError } from "../../src/core/errors";
import { type Clock, systemClock } from "../../src/core/clock";
import { type LiveDownloads, parseDownloadList, parseVideo } from "../../src/core/parse";
import { waitUntil } from "../../src/core/wait";
import { DEFAULT_POLL_POLICY, type PollPolicy, type Progress } from "../../src/core/poll-policy";
import { phaseOf } from "../../src/core/download-state";
import type { DownloadType } from "../../src/core/download-types";
import { type CallKind, describeType } from "./shape";
import type { TranscriptCall } from "./transcript";

/** One call as made, not yet redacted, with what kind of call it was. */
export interface RecordedCall extends TranscriptCall {
  kind: CallKind;
  /** The download type, for a create or a delete. */
  type?: DownloadType;
}

/** Where to send the calls. */
export interface Target {
  baseUrl: string;
  credentials: Credentials;
  accountId: string;
  videoId: string;
}

/** Knobs of a run. */
export interface SequenceOptions {
  types: readonly DownloadType[];
  /** How long to wait for the created downloads to be ready. */
  timeoutMs: number;
  /** @default the provider's policy */
  pollPolicy?: PollPolicy;
  /** Stops the wait early (Ctrl-C); what was created is still deleted. */
  signal?: AbortSignal;
  /** What the run waits on. @default the real clock */
  clock?: Clock;
  /** Called after each call, for printing as it goes. */
  onCall?: (call: RecordedCall) => void;
  onRetry?: (notice: RetryNotice) => void;
}

/** How a run ended. */
export type SequenceEnd =
  | { kind: "completed" }
  | { kind: "timed out"; waiting: DownloadType[] }
  | { kind: "interrupted" }
  | { kind: "video not ready"; state: string }
  | { kind: "failed"; error: Error };

/** What a run did. */
export interface SequenceOutcome {
  calls: RecordedCall[];
  /** Types that existed before the run (left alone). */
  preexisting: DownloadType[];
  /** Types this run created (and deleted). */
  created: DownloadType[];
  end: SequenceEnd;
}

/** A call that failed; the run stops and cleans up (but for the video list's, which is a difference). */
class CallFailed extends Error {}

/**
 * A second id in the video list's filter, which names no video: so that the comma-separated form the provider
 * sends is what is checked. (Redacted in transcripts, like every 32-character run.)
 */
export const NO_VIDEO = "0".repeat(32);

/** Runs the provider's calls on one video and records each. Never throws for an API failure: see `end`. */
export async function runSequence(target: Target, options: SequenceOptions): Promise<SequenceOutcome> {
  let lastStatus = 0;
  const clock = options.clock ?? systemClock;
  const client = new CloudflareClient({
    clock,
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    onResponse: (response) => (lastStatus = response.status),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  const policy = options.pollPolicy ?? DEFAULT_POLL_POLICY;
  const videoPath = `/accounts/${encodeURIComponent(target.accountId)}/stream/${encodeURIComponent(target.videoId)}`;
  const calls: RecordedCall[] = [];
  const outcome: SequenceOutcome = { calls, preexisting: [], created: [], end: { kind: "completed" } };

  const call = async (
    step: string,
    kind: CallKind,
    method: string,
    path: string,
    type?: DownloadType,
  ): Promise<unknown> => {
    lastStatus = 0;
    const recorded: RecordedCall = { step, kind, method, path, status: 0 };
    if (type !== undefined) recorded.type = type;
    try {
      recorded.result = await client.request<unknown>(method, path);
      recorded.status = lastStatus;
      return recorded.result;
    } catch (error) {
      recorded.status = error instanceof CloudflareApiError ? error.status : lastStatus;
      recorded.error = error instanceof Error ? error.message : String(error);
      throw new CallFailed(recorded.error, { cause: error });
    } finally {
      calls.push(recorded);
      options.onCall?.(recorded);
    }
  };
  const uncertain: DownloadType[] = [];
  /** Deletes only what this run created (even after a failure), and what it may have created. */
  const deleteCreated = async (): Promise<void> => {
    for (const type of [...outcome.created, ...uncertain]) {
      try {
        await call(`DELETE downloads/${type}`, "delete", "DELETE", `${videoPath}/downloads/${type}`, type);
      } catch (error) {
        if (!(error instanceof CallFailed)) throw error;
        const gone = uncertain.includes(type) && error.cause instanceof NotFoundError;
        if (!gone && outcome.end.kind !== "failed") outcome.end = { kind: "failed", error };
      }
    }
  };
  const list = async (step: string): Promise<ReturnType<typeof parseDownloadList>> =>
    parseDownloadList(await call(step, "list", "GET", `${videoPath}/downloads`));

  try {
    const video = parseVideo(await call("GET video", "video", "GET", videoPath));
    if (video.readyToStream === false) {
      outcome.end = { kind: "video not ready", state: video.state ?? "unknown" };
      return outcome;
    }
    const before = await list("GET downloads (before)");
    if (before === undefined) {
      // Which downloads exist is unknown: creating (and later deleting) could touch one that existed.
      const last = calls[calls.length - 1];
      throw new CallFailed(
        `GET ${last?.path ?? "downloads"} answered with ${describeType(last?.result)} where an object was expected`,
      );
    }
    outcome.preexisting = options.types.filter((t) => before[t] !== undefined);
    const deadline = clock.now() + options.timeoutMs;
    const tracks = new Map<DownloadType, { first: Progress; latest: Progress }>();
    for (const type of options.types.filter((t) => before[t] === undefined)) {
      try {
        await call(`POST downloads/${type}`, "create", "POST", `${videoPath}/downloads/${type}`, type);
      } catch (error) {
        // Without an answer (or after a 5xx) the download may exist all the same: delete it, if it does.
        const status = calls[calls.length - 1]?.status ?? 0;
        if (status === 0 || status >= 500) uncertain.push(type);
        throw error;
      }
      outcome.created.push(type);
      const first = { at: clock.now(), percent: 0 };
      tracks.set(type, { first, latest: first });
    }
    // The provider's own waiting loop, with the provider's rule: `ready` with a URL, or `error`, ends the wait
    // of a type; anything else is still going. After Ctrl-C it reads nothing more until the final list.
    let last: LiveDownloads | undefined;
    let n = 0;
    const ended = await waitUntil<LiveDownloads | undefined, SequenceEnd | undefined>({
      clock,
      poll: policy,
      deadline,
      ...(options.signal ? { signal: options.signal } : {}),
      initial: undefined,
      read: async () => (options.signal?.aborted ? last : (last = (await list(`GET downloads (wait ${++n})`)) ?? {})),
      look: (live) => {
        for (const [type, track] of live ? tracks : []) {
          const download = live?.[type];
          const where = phaseOf(download);
          if (where === "ready" || where === "failed") {
            tracks.delete(type);
          } else if (download?.percentComplete !== undefined) {
            track.latest = { at: clock.now(), percent: download.percentComplete };
          }
        }
        return tracks.size === 0 ? { done: undefined } : { pending: [...tracks.values()] };
      },
      cancelled: () => ({ kind: "interrupted" }),
      timedOut: () => ({ kind: "timed out", waiting: [...tracks.keys()] }),
    });
    if (ended) outcome.end = ended;
    await list("GET downloads (after)");
    const account = encodeURIComponent(target.accountId);
    const listed = `/accounts/${account}/stream?id=${encodeURIComponent(target.videoId)},${NO_VIDEO}&limit=2`;
    // A refused or failed list is a difference to report, not the end of the check: the provider reads each
    // video on its own then. After Ctrl-C, nothing more is read.
    if (outcome.end.kind !== "interrupted") {
      await call("GET video list", "videos", "GET", listed).catch((error: unknown) => {
        if (!(error instanceof CallFailed)) throw error;
      });
    }
  } catch (error) {
    if (!(error instanceof CallFailed)) {
      await deleteCreated().catch(() => undefined);
      throw error;
    }
    outcome.end = { kind: "failed", error };
  }
  await deleteCreated();
  return outcome;
}
