/**
 * The CRUD of the StreamDownload resource: check, diff, create (and wait), read, update, delete.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { CloudflareClient, type ClientOptions } from "./client";
import * as handler from "./handler";
import {
  CloudflareApiError,
  DownloadNotReadyError,
  NetworkError,
  NotFoundError,
  RequestTimeoutError,
  StreamDownloadError,
  withContext,
} from "./errors";
import { type Clock, sharedLimiter, systemClock } from "./limiter";
import { readConfig, resolveSettings, type ResolvedSettings, storeConfigured } from "./settings";
import {
  DEFAULT_DOWNLOAD_TYPES,
  DEFAULT_READY_TIMEOUT_SECONDS,
  DOWNLOAD_TYPES,
  type DownloadInfo,
  type DownloadType,
  type StreamDownloadInputs,
  type StreamDownloadOutputs,
} from "./types";
import { DEFAULT_POLL_POLICY, nextPollDelayForAllMs, parsePercent, type PollPolicy, type Progress } from "./waiter";
import type { WireDownloads, WireVideo } from "./wire";

type Provider = pulumi.dynamic.ResourceProvider<StreamDownloadInputs, StreamDownloadOutputs>;

/** What the provider depends on, injectable so that tests need not wait in real time or read env. */
export interface ProviderDeps {
  clock: Clock;
  /** Receives progress lines; the default writes them to stderr, which `pulumi up` shows. */
  log: (line: string) => void;
  poll: PollPolicy;
  /** Where credentials come from; the default reads configured stack config, then env, at call time. */
  settings: () => ResolvedSettings;
  /** Client knobs (timeouts, retries); credentials and base URL always come from `settings`. */
  client: Pick<ClientOptions, "attemptTimeoutMs" | "retry" | "random">;
}

const DEFAULT_DEPS: ProviderDeps = {
  clock: systemClock,
  log: (line) => void process.stderr.write(`${line}\n`),
  poll: DEFAULT_POLL_POLICY,
  settings: () => resolveSettings(),
  client: {},
};

/** Cloudflare ids (accounts, videos) are 32 lowercase hex digits. */
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

/** The value Pulumi passes for inputs not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key Pulumi uses to mark a secret value passed to a dynamic provider. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The StreamDownload provider. Most programs use the shared `streamDownloadProvider` instead. */
export class StreamDownloadProvider implements Provider {
  private readonly deps: ProviderDeps;

  constructor(deps: Partial<Omit<ProviderDeps, "poll">> & { poll?: Partial<PollPolicy> } = {}) {
    this.deps = { ...DEFAULT_DEPS, ...deps, poll: { ...DEFAULT_POLL_POLICY, ...deps.poll } };
  }

  /** Keeps the stack config's Cloudflare keys for this process; they win over env vars. */
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    storeConfigured(readConfig(req.config));
  }

  /** Validates inputs and fills defaults. Calls no API, so it is safe at preview. */
  async check(_olds: StreamDownloadInputs, news: StreamDownloadInputs): Promise<pulumi.dynamic.CheckResult> {
    const raw = news as unknown as Record<string, unknown>;
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });

    checkCloudflareId(raw.accountId, "accountId", "account ID", fail);
    checkCloudflareId(raw.identifier, "identifier", "video UID", fail);

    const downloadTypes = raw.downloadTypes ?? [...DEFAULT_DOWNLOAD_TYPES];
    if (!isUnknown(downloadTypes)) checkDownloadTypes(unwrapSecret(downloadTypes), fail);

    const waitForReady = raw.waitForReady ?? true;
    if (!isUnknown(waitForReady) && typeof unwrapSecret(waitForReady) !== "boolean") {
      fail("waitForReady", `waitForReady must be true or false; got ${quote(waitForReady)}.`);
    }

    const timeout = raw.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
    const t = unwrapSecret(timeout);
    if (!isUnknown(timeout) && (typeof t !== "number" || !Number.isFinite(t) || t <= 0)) {
      fail(
        "readyTimeoutSeconds",
        `readyTimeoutSeconds must be a positive number of seconds; got ${quote(timeout)}. ` +
          `The default is ${DEFAULT_READY_TIMEOUT_SECONDS}.`,
      );
    }

    return {
      inputs: { ...news, downloadTypes, waitForReady, readyTimeoutSeconds: timeout } as StreamDownloadInputs,
      failures,
    };
  }

  /**
   * The account and the video identify the downloads: a change of either means other downloads entirely,
   * so it replaces the resource (the new ones are created before the old ones are deleted). Everything
   * else changes in place.
   */
  async diff(_id: string, olds: StreamDownloadOutputs, news: StreamDownloadInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["accountId", "identifier"] as const).filter((key) => olds[key] !== news[key]);
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: false };

    const typesChanged = isUnknown(news.downloadTypes)
      ? true
      : !sameSet(olds.downloadTypes ?? [], news.downloadTypes) || missingTypes(olds, news.downloadTypes).length > 0;
    const settingsChanged =
      olds.waitForReady !== news.waitForReady || olds.readyTimeoutSeconds !== news.readyTimeoutSeconds;
    return { changes: typesChanged || settingsChanged };
  }

  /**
   * Creates the downloads (adopting any that already exist) and, unless `waitForReady` is false, waits until
   * all of them are ready. Transactional: on failure, the downloads this call created are deleted again.
   */
  async create(inputs: StreamDownloadInputs): Promise<pulumi.dynamic.CreateResult<StreamDownloadOutputs>> {
    const downloads = await this.ensureDownloads(inputs, inputs.downloadTypes);
    return { id: resourceId(inputs), outs: outputsOf(inputs, downloads, inputs.downloadTypes) };
  }

  /**
   * Reads the live state for `pulumi refresh`. A video or download deleted out of band disappears from the
   * outputs (so the next `up` creates it again); when none is left, an empty id tells Pulumi it is gone.
   */
  async read(id: string, props?: StreamDownloadOutputs): Promise<pulumi.dynamic.ReadResult<StreamDownloadOutputs>> {
    if (props === undefined || !props.accountId || !props.identifier) {
      throw new StreamDownloadError(
        `Cannot read StreamDownload "${id}" without its prior state: pulumi import does not work for dynamic ` +
          `resources. Declare the resource instead; existing downloads of the video are adopted on create.`,
      );
    }
    const client = this.client();
    let live: WireDownloads;
    try {
      live = await client.getDownloads(props.accountId, props.identifier);
    } catch (error) {
      if (error instanceof NotFoundError) return { id: "" };
      throw withContext(error as Error, `Reading the downloads of video ${props.identifier}`);
    }
    const managed = managedTypes(props);
    const present = managed.filter((type) => live[type] !== undefined);
    if (present.length === 0) return { id: "" };
    const inputs = inputsOf(props);
    return { id, props: outputsOf(inputs, live, present), inputs: inputs as StreamDownloadOutputs };
  }

  /** Creates added (or lost) types, waiting as create does, then deletes removed types. */
  async update(
    _id: string,
    olds: StreamDownloadOutputs,
    news: StreamDownloadInputs,
  ): Promise<pulumi.dynamic.UpdateResult<StreamDownloadOutputs>> {
    const toCreate = missingTypes(olds, news.downloadTypes);
    const toDelete = managedTypes(olds).filter((type) => !news.downloadTypes.includes(type));

    const created = toCreate.length > 0 ? await this.ensureDownloads(news, toCreate) : {};
    await this.deleteTypes(news.accountId, news.identifier, toDelete);

    const kept: WireDownloads = {};
    for (const type of news.downloadTypes) {
      const info = created[type] ?? olds[type];
      if (info) kept[type] = info;
    }
    return { outs: outputsOf(news, kept, news.downloadTypes) };
  }

  /** Deletes each managed download; one already gone (or a video already gone) counts as deleted. */
  async delete(_id: string, props: StreamDownloadOutputs): Promise<void> {
    await this.deleteTypes(props.accountId, props.identifier, managedTypes(props));
  }

  // --- internals ---------------------------------------------------------------------------------------------

  private client(): CloudflareClient {
    const settings = this.deps.settings();
    const c = settings.credentials;
    const secret = c.kind === "token" ? c.token : `${c.email}:${c.apiKey}`;
    const fingerprint = createHash("sha256").update(`${settings.baseUrl}\n${secret}`).digest("hex").slice(0, 16);
    return new CloudflareClient({
      ...this.deps.client,
      baseUrl: settings.baseUrl,
      credentials: c,
      limiter: sharedLimiter(fingerprint, settings.budget),
      clock: this.deps.clock,
      onRetry: (n) =>
        this.deps.log(
          `cloudflare: retrying ${n.method} ${n.path} in ${seconds(n.delayMs)} (attempt ${n.attempt} failed: ${n.reason})`,
        ),
    });
  }

  /**
   * Makes sure downloads of `types` exist (adopting existing ones, regenerating failed ones) and waits for them
   * as `inputs` says. On failure, deletes what this call created and rethrows with the context.
   */
  private async ensureDownloads(inputs: StreamDownloadInputs, types: DownloadType[]): Promise<WireDownloads> {
    const client = this.client();
    const { accountId, identifier: video } = inputs;
    const deadline = this.deps.clock.now() + inputs.readyTimeoutSeconds * 1000;
    const created: DownloadType[] = [];
    try {
      let existing: WireDownloads;
      try {
        existing = await client.getDownloads(accountId, video);
      } catch (error) {
        if (error instanceof NotFoundError) throw videoNotFound(accountId, video, error);
        throw error;
      }
      const tracks = new Map<DownloadType, { first: Progress; latest: Progress }>();
      let latest = existing;
      for (const type of types) {
        const current = existing[type];
        if (current && current.status !== "error") {
          this.deps.log(
            `${label(video, type)}: adopting the existing download (${current.status}, ${current.percentComplete}%)`,
          );
          const reading = { at: this.deps.clock.now(), percent: parsePercent(current.percentComplete) };
          tracks.set(type, { first: reading, latest: reading });
          continue;
        }
        if (current?.status === "error") {
          this.deps.log(`${label(video, type)}: the existing download had failed; generating it again`);
          await client.deleteDownload(accountId, video, type).catch(ignoreNotFound);
        }
        // Counted as ours before the POST: if its answer is lost, the download may exist all the same.
        created.push(type);
        latest = await this.createOne(client, inputs, type, deadline);
        // Timed after the POST returns: a retry's wait (Retry-After can be minutes) is not generation time.
        const at = this.deps.clock.now();
        tracks.set(type, {
          first: { at, percent: 0 },
          latest: { at, percent: parsePercent(latest[type]?.percentComplete) },
        });
      }
      if (!inputs.waitForReady) return latest;
      return await this.waitForDownloads(client, inputs, tracks, latest, deadline);
    } catch (error) {
      throw await this.rollBack(client, accountId, video, types, created, error);
    }
  }

  /** POSTs one type; if Cloudflare refuses because the video is still processing, waits for the video first. */
  private async createOne(
    client: CloudflareClient,
    inputs: StreamDownloadInputs,
    type: DownloadType,
    deadline: number,
  ): Promise<WireDownloads> {
    const { accountId, identifier: video } = inputs;
    try {
      return await client.createDownload(accountId, video, type);
    } catch (error) {
      if (error instanceof NotFoundError) throw videoNotFound(accountId, video, error);
      if (!isClientError(error)) throw error;
      // Cloudflare does not document which error it returns for a video that is not ready yet, so look at
      // the video itself rather than at the error code.
      const ready = await this.waitForVideo(client, inputs, deadline, error);
      if (!ready) throw error;
      return await client.createDownload(accountId, video, type);
    }
  }

  /**
   * Waits until the video is ready to stream. Returns false when it already was (so the refusal that sent us
   * here had another cause); throws when the video failed or the deadline passed.
   */
  private async waitForVideo(
    client: CloudflareClient,
    inputs: StreamDownloadInputs,
    deadline: number,
    refusal: Error,
  ): Promise<boolean> {
    const { accountId, identifier: video } = inputs;
    const { clock, poll, log } = this.deps;
    let current = await client.getVideo(accountId, video);
    if (current.readyToStream) return false;
    const first = { at: clock.now(), percent: parsePercent(current.status.pctComplete) };
    let latest = first;
    let lastLog = -Infinity;
    for (;;) {
      if (current.readyToStream) {
        log(`${label(video)}: the video is ready to stream; creating its downloads`);
        return true;
      }
      if (current.status.state === "error") throw videoFailed(video, current);
      const now = clock.now();
      if (now >= deadline) {
        throw new DownloadNotReadyError(
          `Video ${video} was still not ready to stream after ${inputs.readyTimeoutSeconds} s ` +
            `(state ${current.status.state}, ${latest.percent}%), so its downloads could not be created ` +
            `(Cloudflare said: ${refusal.message}). Raise readyTimeoutSeconds, or run pulumi up again later.`,
        );
      }
      const delay = Math.min(nextPollDelayForAllMs([{ first, latest }], now, poll), deadline - now);
      if (now - lastLog >= poll.progressLogIntervalMs) {
        log(
          `${label(video)}: waiting for the video to be ready to stream (${current.status.state}, ${latest.percent}%); next check in ${seconds(delay)}`,
        );
        lastLog = now;
      }
      await clock.sleep(delay);
      current = await client.getVideo(accountId, video);
      latest = { at: clock.now(), percent: parsePercent(current.status.pctComplete) };
    }
  }

  /** Polls the video's downloads until every tracked type is ready; one GET serves all types. */
  private async waitForDownloads(
    client: CloudflareClient,
    inputs: StreamDownloadInputs,
    tracks: Map<DownloadType, { first: Progress; latest: Progress }>,
    initial: WireDownloads,
    deadline: number,
  ): Promise<WireDownloads> {
    const { accountId, identifier: video } = inputs;
    const { clock, poll, log } = this.deps;
    const started = clock.now();
    let live = initial;
    let lastLog = -Infinity;
    for (;;) {
      const pending: DownloadType[] = [];
      for (const type of tracks.keys()) {
        const d = live[type];
        if (d === undefined) {
          throw new DownloadNotReadyError(
            `The ${type} download of video ${video} disappeared while being generated (deleted out of band?). ` +
              `Run pulumi up again to create it.`,
          );
        }
        if (d.status === "error") {
          throw new DownloadNotReadyError(
            `Cloudflare could not generate the ${type} download of video ${video}: it ended in status "error" at ` +
              `${d.percentComplete}%. Check the video plays in the Stream dashboard, then run pulumi up again.`,
          );
        }
        if (d.status !== "ready") pending.push(type);
      }
      const now = clock.now();
      if (pending.length === 0) {
        log(`${label(video)}: ${[...tracks.keys()].join(" and ")} ready after ${seconds(now - started)}`);
        return live;
      }
      if (now >= deadline) {
        const where = pending.map((t) => `${t} ${live[t]?.status} at ${live[t]?.percentComplete}%`).join(", ");
        throw new DownloadNotReadyError(
          `Timed out after ${inputs.readyTimeoutSeconds} s waiting for the downloads of video ${video}: ${where}. ` +
            `Raise readyTimeoutSeconds (or set waitForReady: false), then run pulumi up again.`,
        );
      }
      const pendingTracks = pending.flatMap((t) => tracks.get(t) ?? []);
      const delay = Math.min(nextPollDelayForAllMs(pendingTracks, now, poll), deadline - now);
      if (now - lastLog >= poll.progressLogIntervalMs) {
        const progress = pending.map((t) => `${t} ${live[t]?.percentComplete}%`).join(", ");
        log(`${label(video)}: generating ${progress}; next check in ${seconds(delay)}`);
        lastLog = now;
      }
      await clock.sleep(delay);
      live = await client.getDownloads(accountId, video);
      const at = clock.now();
      for (const [type, track] of tracks) {
        const d = live[type];
        if (d) track.latest = { at, percent: parsePercent(d.percentComplete) };
      }
    }
  }

  /** Deletes what a failed create made, and returns the error to throw, mentioning anything left behind. */
  private async rollBack(
    client: CloudflareClient,
    accountId: string,
    video: string,
    types: DownloadType[],
    created: DownloadType[],
    error: unknown,
  ): Promise<Error> {
    const err = error instanceof Error ? error : new Error(String(error));
    const deleted: DownloadType[] = [];
    const leftBehind: string[] = [];
    for (const type of created) {
      try {
        await client.deleteDownload(accountId, video, type);
        deleted.push(type);
      } catch (cleanupError) {
        if (!(cleanupError instanceof NotFoundError)) leftBehind.push(`${type} (${(cleanupError as Error).message})`);
      }
    }
    if (deleted.length > 0) {
      const plural = deleted.length > 1;
      err.message += ` The ${deleted.join(" and ")} download${plural ? "s" : ""} this step created ${plural ? "were" : "was"} deleted again.`;
    }
    if (leftBehind.length > 0) {
      err.message +=
        ` Could not delete what this step created: ${leftBehind.join("; ")}. ` +
        `The next pulumi up adopts it; or delete it in the Stream dashboard.`;
    }
    return withContext(
      err,
      `Creating the ${types.join(" and ")} download${types.length > 1 ? "s" : ""} of video ${video}`,
    );
  }

  private async deleteTypes(accountId: string, video: string, types: DownloadType[]): Promise<void> {
    if (types.length === 0) return;
    const client = this.client();
    const results = await Promise.allSettled(
      types.map((type) =>
        client.deleteDownload(accountId, video, type).catch(async (error: unknown) => {
          if (error instanceof NotFoundError) return;
          // The answer may have been lost after the delete happened: look before calling it a failure.
          if (!(error instanceof NetworkError || error instanceof RequestTimeoutError)) throw error;
          const live = await client.getDownloads(accountId, video).catch((e: unknown) => {
            if (e instanceof NotFoundError) return {} as WireDownloads; // the video is gone, and its downloads
            throw error;
          });
          if (live[type] !== undefined) throw error;
        }),
      ),
    );
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${types[i]}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length > 0) {
      throw new StreamDownloadError(
        `Could not delete the downloads of video ${video}: ${failed.join("; ")}. Run the command again; ` +
          `downloads already deleted count as done.`,
      );
    }
  }
}

// --- pure helpers ---------------------------------------------------------------------------------------------

function resourceId(inputs: { accountId: string; identifier: string }): string {
  return `${inputs.accountId}/${inputs.identifier}`;
}

function inputsOf(props: StreamDownloadInputs): StreamDownloadInputs {
  const { accountId, identifier, downloadTypes, waitForReady, readyTimeoutSeconds } = props;
  return { accountId, identifier, downloadTypes, waitForReady, readyTimeoutSeconds };
}

function outputsOf(inputs: StreamDownloadInputs, live: WireDownloads, types: DownloadType[]): StreamDownloadOutputs {
  const outs: StreamDownloadOutputs = inputsOf(inputs);
  for (const type of types) {
    const d = live[type];
    if (d) outs[type] = toInfo(d);
  }
  return outs;
}

function toInfo(d: DownloadInfo): DownloadInfo {
  return { status: d.status, percentComplete: parsePercent(d.percentComplete), url: d.url };
}

/** The types a resource manages: those it asked for, plus any it recorded output for. */
function managedTypes(props: StreamDownloadOutputs): DownloadType[] {
  const asked = Array.isArray(props.downloadTypes) ? props.downloadTypes : [];
  return DOWNLOAD_TYPES.filter((type) => asked.includes(type) || props[type] !== undefined);
}

/** Types wanted but not present (lost out of band) or failed in the recorded state. */
function missingTypes(olds: StreamDownloadOutputs, wanted: DownloadType[]): DownloadType[] {
  return wanted.filter((type) => olds[type] === undefined || olds[type]?.status === "error");
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

function unwrapSecret(value: unknown): unknown {
  if (value !== null && typeof value === "object" && SECRET_SIG in value && "value" in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

function quote(value: unknown): string {
  const v = unwrapSecret(value);
  return typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v));
}

function checkCloudflareId(
  value: unknown,
  property: string,
  what: string,
  fail: (property: string, reason: string) => void,
): void {
  if (isUnknown(value)) return;
  const v = unwrapSecret(value);
  if (v === undefined || v === null || v === "") {
    fail(property, `${property} is required: the Cloudflare ${what}, 32 lowercase hexadecimal characters.`);
  } else if (typeof v !== "string" || !CLOUDFLARE_ID.test(v)) {
    const hint =
      typeof v === "string" && CLOUDFLARE_ID.test(v.trim().toLowerCase())
        ? ` Did you mean "${v.trim().toLowerCase()}"?`
        : "";
    fail(
      property,
      `${property} must be a Cloudflare ${what}: 32 lowercase hexadecimal characters; got ${quote(value)}.${hint}`,
    );
  }
}

function checkDownloadTypes(value: unknown, fail: (property: string, reason: string) => void): void {
  const known = DOWNLOAD_TYPES.map((t) => `"${t}"`).join(" and ");
  if (!Array.isArray(value) || value.length === 0) {
    fail("downloadTypes", `downloadTypes must be a non-empty list of ${known}; got ${quote(value)}.`);
    return;
  }
  const seen = new Set<unknown>();
  value.forEach((type: unknown, i) => {
    if (isUnknown(type)) return;
    if (!DOWNLOAD_TYPES.includes(type as DownloadType)) {
      fail(`downloadTypes[${i}]`, `downloadTypes[${i}] is ${quote(type)}; Cloudflare Stream knows only ${known}.`);
    } else if (seen.has(type)) {
      fail(`downloadTypes[${i}]`, `downloadTypes lists ${quote(type)} more than once; list each type once.`);
    }
    seen.add(type);
  });
}

/** A 4xx that says "not now" or "not like this" rather than "not found", "not allowed" or "slow down". */
function isClientError(error: unknown): error is CloudflareApiError {
  const status = error instanceof CloudflareApiError ? error.status : 0;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429;
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof NotFoundError)) throw error;
}

function videoNotFound(accountId: string, video: string, error: NotFoundError): Error {
  return new DownloadNotReadyError(
    `Video ${video} was not found in account ${accountId} (${error.message}). Check identifier and accountId; ` +
      `a video deleted in the dashboard cannot have downloads.`,
    { cause: error },
  );
}

function videoFailed(video: string, v: WireVideo): Error {
  const reason = [v.status.errorReasonCode, v.status.errorReasonText].filter(Boolean).join(": ") || "no reason given";
  return new DownloadNotReadyError(
    `Video ${video} failed to process in Cloudflare Stream (state "error": ${reason}), so it cannot have downloads. ` +
      `Upload it again and point identifier at the new video.`,
  );
}

function label(video: string, type?: DownloadType): string {
  return `StreamDownload ${video}${type ? ` ${type}` : ""}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The one shared provider instance, used by every StreamDownload: the `./handler` module itself. Pulumi writes
 * a module installed under node_modules into state as a `require` of its path, so each resource's state holds
 * one line instead of this provider's code (see handler.ts); one instance keeps Pulumi's serialization cache warm.
 */
export const streamDownloadProvider: Provider = handler;
