/**
 * What a StreamDownload does, once, for every face: check, diff, create (and wait), read, update, delete.
 * The dynamic resource and the provider plugin translate their calls into these and nothing more.
 *
 * Every decision rests on what Cloudflare documents: which downloads exist and their state come from the
 * `GET .../downloads` list; whether the video can have downloads, from the video's own readiness. What a
 * create's answer says is a hint, used only to save a request when it says enough.
 *
 * What costs requests is shared by every resource of the process, per credential: the rate limiter, the video
 * reads (gathered into one request to the video list, video-reads.ts) and what was learned of how fast an account
 * generates (generation-rates.ts). A ready download's file facts come from a HEAD of its URL, which costs none.
 */
import { type CheckFailure, type CheckOutcome, checkInputs } from "./check";
import { CloudflareClient, type ClientOptions } from "./client";
import { ensureDownloads } from "./create";
import {
  AuthenticationError,
  NetworkError,
  NotFoundError,
  RequestTimeoutError,
  StreamDownloadError,
  withContext,
} from "./errors";
import { type Clock, systemClock } from "./clock";
import type { DownloadType } from "./download-types";
import { readFileFacts } from "./file-facts";
import { sharedGenerationRates } from "./generation-rates";
import { sharedLimiter } from "./limiter";
import { COMMON_CAUSES, label, retryLine } from "./messages";
import type { LiveDownloads, LiveVideo } from "./parse";
import { DEFAULT_POLL_POLICY, type PollPolicy } from "./poll-policy";
import { UNKNOWN } from "./pulumi-values";
import { credentialKey, type ResolvedSettings } from "./settings";
import { importedProps, inputsOf, managedTypes, missingTypes, outputsOf, resourceId } from "./state";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "./types";
import { sharedVideoReads } from "./video-reads";
import { settleDownloads, type VideoJob, type WaitContext } from "./wait";

export type { CheckFailure, CheckOutcome };

/** What the operations depend on, injectable so that tests need not wait in real time or read env. */
export interface OperationDeps {
  clock: Clock;
  /**
   * Receives progress lines; the default writes them to stderr. `kind` is `"status"` for a passing status that
   * the next one supersedes ("generating ...; next check in 2.0s"), absent for a fact worth keeping.
   */
  log: (line: string, kind?: "status") => void;
  poll: PollPolicy;
  /** Where credentials come from, resolved at call time. */
  settings: () => ResolvedSettings;
  /** Client knobs (timeouts, retries); credentials and base URL always come from `settings`. */
  client: Pick<ClientOptions, "attemptTimeoutMs" | "retry" | "random">;
  /** Appended to an authentication error: where this face reads the token. */
  credentialHint: string;
  /**
   * Appended besides for refresh, update and destroy (the engine runs refresh and destroy with the config recorded
   * at the last `up`): what to do after rotating the token. Never for a create, where it cannot apply.
   */
  rotationHint: string;
  /**
   * Aborted when the engine cancels the deployment (the plugin's Cancel, on Ctrl-C). A wait for downloads then
   * ends at once and records them as they are; a wait for the video fails, having created nothing.
   */
  signal?: AbortSignal;
}

/** Constructor options: every dependency optional, the poll policy mergeable. */
export type OperationOptions = Partial<Omit<OperationDeps, "poll">> & { poll?: Partial<PollPolicy> };

/** What changed, and whether it needs a replacement. */
export interface DiffOutcome {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

/** The live state; an empty id says the resource is gone. */
export interface ReadOutcome {
  id: string;
  props?: StreamDownloadOutputs;
  inputs?: StreamDownloadInputs;
}

/**
 * Whether a step creates the resource (no earlier config of it exists, so a rotated token cannot be to blame) or
 * acts on one an earlier `up` made: refresh, update and destroy (the engine runs refresh and destroy with the
 * config recorded at the last `up`).
 */
type Step = "create" | "later";

/** The CRUD of one StreamDownload. Stateless between calls: construct one per call, or share one. */
export class StreamDownloadOperations {
  private readonly deps: OperationDeps;

  constructor(deps: OperationOptions = {}) {
    this.deps = {
      clock: systemClock,
      log: (line) => void process.stderr.write(`${line}\n`),
      settings: () => {
        throw new StreamDownloadError("No settings source was given to StreamDownloadOperations.");
      },
      client: {},
      credentialHint: "",
      rotationHint: "",
      ...deps,
      poll: { ...DEFAULT_POLL_POLICY, ...deps.poll },
    };
  }

  /**
   * Validates inputs and fills defaults. Calls no API, so it is safe at preview. A message never repeats the
   * value of a property in `hidden`, nor of one that arrives as a wrapped secret (see check.ts).
   */
  async check(_olds: unknown, news: unknown, hidden?: ReadonlySet<string>): Promise<CheckOutcome> {
    return checkInputs(news, hidden);
  }

  /**
   * The account and the video identify the downloads: a change of either means other downloads entirely,
   * so it replaces the resource (the new ones are created before the old ones are deleted). Everything
   * else changes in place.
   */
  async diff(_id: string, olds: StreamDownloadOutputs, news: StreamDownloadInputs): Promise<DiffOutcome> {
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
  async create(inputs: StreamDownloadInputs): Promise<{ id: string; outs: StreamDownloadOutputs }> {
    const made = await this.ensure(inputs, inputs.downloadTypes, "create");
    const outs = outputsOf(inputs, made.downloads, inputs.downloadTypes, made.video.requireSignedURLs);
    return { id: resourceId(inputs), outs: await this.withFileFacts(outs, inputs.downloadTypes) };
  }

  /**
   * Reads the live state for `pulumi refresh`. A download deleted out of band disappears from the outputs (so
   * the next `up` creates it again); when none is left, or the video is gone, an empty id says it is gone.
   * Without prior state (`pulumi import`), the id `<accountId>/<identifier>` names the video, and every download
   * it has is adopted.
   */
  async read(id: string, props?: StreamDownloadOutputs): Promise<ReadOutcome> {
    const prior = props?.accountId && props.identifier ? props : importedProps(id);
    const { accountId, identifier: video } = prior;
    const ctx = this.connect();
    let settled: Awaited<ReturnType<typeof settleDownloads>>;
    let details: LiveVideo;
    try {
      // On import (no prior state) every download the video has is adopted.
      const types = props ? managedTypes(prior) : undefined;
      [settled, details] = await Promise.all([
        settleDownloads(ctx, { accountId, video }, types),
        ctx.readVideo(accountId, video),
      ]);
    } catch (error) {
      if (error instanceof NotFoundError) {
        this.deps.log(`${label(video)}: the video is gone from account ${accountId}; dropping this resource`);
        return { id: "" };
      }
      throw this.withHint(withContext(error as Error, `Reading the downloads of video ${video}`), "later");
    }
    for (const type of settled.gone) {
      this.deps.log(
        `${label(video, type)}: the download is gone from Cloudflare. Two reads of its list in a row ` +
          `missed it. ${COMMON_CAUSES} The next pulumi up creates it again.`,
      );
    }
    const present = settled.types.filter((type) => !settled.gone.includes(type) && settled.live[type] !== undefined);
    if (present.length === 0) return { id: "" };
    const inputs = inputsOf({ ...prior, downloadTypes: props ? prior.downloadTypes : present });
    const outs = outputsOf(inputs, settled.live, present, details.requireSignedURLs, prior);
    return { id: resourceId(inputs), props: await this.withFileFacts(outs, present), inputs };
  }

  /** Creates added (or lost) types, waiting as create does, then deletes removed types. */
  async update(
    _id: string,
    olds: StreamDownloadOutputs,
    news: StreamDownloadInputs,
  ): Promise<{ outs: StreamDownloadOutputs }> {
    const toCreate = missingTypes(olds, news.downloadTypes);
    const toDelete = managedTypes(olds).filter((type) => !news.downloadTypes.includes(type));

    const made = toCreate.length > 0 ? await this.ensure(news, toCreate, "later") : undefined;
    await this.deleteTypes(news.accountId, news.identifier, toDelete);

    const kept: LiveDownloads = {};
    for (const type of news.downloadTypes) {
      const info = made?.downloads[type] ?? olds[type];
      if (info) kept[type] = info;
    }
    const signed = made?.video.requireSignedURLs ?? olds.requireSignedURLs;
    const outs = outputsOf(news, kept, news.downloadTypes, signed, olds);
    // The kept downloads keep the facts read before (a HEAD each would tell nothing new); the new ones are read.
    for (const type of news.downloadTypes.filter((t) => !toCreate.includes(t))) {
      const before = olds[type];
      const info = outs[type];
      if (info && before?.url === info.url) {
        if (before.sizeBytes !== undefined) info.sizeBytes = before.sizeBytes;
        if (before.contentType !== undefined) info.contentType = before.contentType;
      }
    }
    return { outs: await this.withFileFacts(outs, toCreate) };
  }

  /** Deletes each managed download; one already gone (or a video already gone) counts as deleted. */
  async delete(_id: string, props: StreamDownloadOutputs): Promise<void> {
    await this.deleteTypes(props.accountId, props.identifier, managedTypes(props));
  }

  // --- internals ---------------------------------------------------------------------------------------------

  /**
   * What one call works with: a client (`deadline`, the resource's, is how long it may sit out a rate-limit block),
   * and what every client of the same credential and endpoint in this process shares: the limiter, the gathered
   * video reads and the learned generation rates.
   */
  private connect(deadline?: number): WaitContext {
    const settings = this.deps.settings();
    const fingerprint = credentialKey(settings);
    const { clock, poll, log, signal } = this.deps;
    const client = new CloudflareClient({
      ...this.deps.client,
      baseUrl: settings.baseUrl,
      credentials: settings.credentials,
      limiter: sharedLimiter(fingerprint, settings.budget),
      clock,
      deadline,
      onRetry: (n) => log(retryLine(n)),
    });
    const videos = sharedVideoReads(fingerprint, { clock });
    return {
      client,
      readVideo: (accountId, videoId) => videos.read({ source: client, accountId, videoId, clock, log: (l) => log(l) }),
      rates: sharedGenerationRates(fingerprint),
      clock,
      poll,
      log,
      ...(signal ? { signal } : {}),
    };
  }

  /**
   * Adds each ready download's file facts (size in bytes, content type) from a HEAD of its URL, which costs none of
   * the API's quota and carries no credential. Never fails the operation: a URL that does not answer 2xx is said in
   * a line and its facts are left out; for a video that requires signed URLs the expected 401 is said once.
   */
  private async withFileFacts(
    outs: StreamDownloadOutputs,
    types: readonly DownloadType[],
  ): Promise<StreamDownloadOutputs> {
    const { log, clock } = this.deps;
    const video = outs.identifier;
    const ready = types.flatMap((type) => {
      const info = outs[type];
      return info?.status === "ready" && info.url !== "" ? [{ type, info }] : [];
    });
    const requireSignedURLs = outs.requireSignedURLs ?? false;
    const random = this.deps.client.random;
    const facts = await Promise.all(
      ready.map(({ info }) => readFileFacts(info.url, { requireSignedURLs, clock, ...(random ? { random } : {}) })),
    );
    const signed: DownloadType[] = [];
    ready.forEach(({ type, info }, i) => {
      const f = facts[i];
      if (f?.outcome === "served") {
        if (f.sizeBytes !== undefined) info.sizeBytes = f.sizeBytes;
        if (f.contentType !== undefined) info.contentType = f.contentType;
      } else if (f?.outcome === "signed") {
        signed.push(type);
      } else if (f) {
        log(
          `${label(video, type)}: Cloudflare lists the download as ready, but its URL did not answer as a file ` +
            `does (${f.reason}), so its sizeBytes and contentType are left out. The download itself is recorded.`,
        );
      }
    });
    if (signed.length > 0) {
      log(
        `${label(video)}: the URL of ${signed.join(" and ")} answered 401, as expected for a video that requires ` +
          `signed URLs; sizeBytes and contentType are read only from URLs that answer without a token`,
      );
    }
    return outs;
  }

  /**
   * Makes sure downloads of `types` exist and waits for them as `inputs` says (see create.ts). The operation's
   * one deadline bounds every wait in it: for the video, for the downloads, and a rate-limit block sat out.
   */
  private ensure(
    inputs: StreamDownloadInputs,
    types: DownloadType[],
    step: Step,
  ): Promise<{ downloads: LiveDownloads; video: LiveVideo }> {
    const { accountId, identifier: video, readyTimeoutSeconds } = inputs;
    const job: VideoJob = {
      accountId,
      video,
      readyTimeoutSeconds,
      deadline: this.deps.clock.now() + readyTimeoutSeconds * 1000,
    };
    return ensureDownloads(this.connect(job.deadline), job, types, inputs.waitForReady, (error: Error) =>
      this.withHint(error, step),
    );
  }

  /**
   * Adds the face's advice to an authentication error: where the token comes from, and, unless the step creates
   * the resource, what to do after rotating the token.
   */
  private withHint<E extends Error>(error: E, step: Step): E {
    if (!(error instanceof AuthenticationError)) return error;
    const hints = [this.deps.credentialHint, step === "later" ? this.deps.rotationHint : ""];
    for (const hint of hints.filter(Boolean)) error.message += ` ${hint}`;
    return error;
  }

  private async deleteTypes(accountId: string, video: string, types: DownloadType[]): Promise<void> {
    if (types.length === 0) return;
    const { client } = this.connect();
    const results = await Promise.allSettled(
      types.map((type) =>
        client.deleteDownload(accountId, video, type).catch(async (error: unknown) => {
          if (error instanceof NotFoundError) return;
          // The answer may have been lost after the delete happened: look before calling it a failure.
          if (!(error instanceof NetworkError || error instanceof RequestTimeoutError)) throw error;
          const live = await client.getDownloads(accountId, video).catch((e: unknown) => {
            if (e instanceof NotFoundError) return {} as LiveDownloads; // the video is gone, and its downloads
            throw error;
          });
          if (live[type] !== undefined) throw error;
        }),
      ),
    );
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${types[i]}: ${this.withHint(r.reason as Error, "later").message}`] : [],
    );
    if (failed.length > 0) {
      throw new StreamDownloadError(
        `Could not delete the downloads of video ${video}: ${failed.join("; ")}. Run the command again; ` +
          `downloads already deleted count as done.`,
      );
    }
  }
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}
