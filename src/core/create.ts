/**
 * Making downloads exist: adopt the ones the video already has, wait for the video to be ready to stream when
 * it is not, create the missing types with the type-specific endpoint, and (unless `waitForReady` is false)
 * wait until all are ready. Transactional: on failure, what this step created is deleted again.
 */
import type { CloudflareClient } from "./client";
import { phaseOf, stateOf } from "./download-state";
import type { DownloadType } from "./download-types";
import { CloudflareApiError, NotFoundError, videoFailed, videoNotFound, withContext } from "./errors";
import { label } from "./messages";
import type { LiveDownload, LiveDownloads, LiveVideo } from "./parse";
import { type Track, type VideoJob, waitForDownloads, waitForVideo, type WaitContext } from "./wait";

/**
 * Makes sure downloads of `types` exist (adopting existing ones, regenerating failed ones) and, when `wait`, waits
 * until they are ready, within the job's deadline. On failure, deletes what this call created and rethrows with
 * the context.
 */
export async function ensureDownloads(
  ctx: WaitContext,
  job: VideoJob,
  types: DownloadType[],
  wait: boolean,
  withHint: (error: Error) => Error,
): Promise<{ downloads: LiveDownloads; video: LiveVideo }> {
  const { client, clock, log } = ctx;
  const { accountId, video } = job;
  const created: DownloadType[] = [];
  try {
    const [existing, details] = await Promise.all([
      client.getDownloads(accountId, video),
      ctx.readVideo(accountId, video),
    ]).catch((error: unknown) => {
      throw error instanceof NotFoundError ? videoNotFound(accountId, video, error) : error;
    });
    if (details.state === "error") throw videoFailed(video, details);
    if (details.requireSignedURLs) {
      log(
        `${label(video)}: the video requires signed URLs, so its download URLs answer 401 until the uid in ` +
          `them is replaced by a signed token that allows downloads (see docs/signed-urls.md in the project's repository)`,
      );
    }
    const tracks = new Map<DownloadType, Track>();
    const known: LiveDownloads = {};
    const toCreate: DownloadType[] = [];
    for (const type of types) {
      const current = existing[type];
      const at = clock.now();
      const phase = phaseOf(current);
      if (phase !== "missing" && phase !== "failed") {
        log(`${label(video, type)}: adopting the existing download (${stateOf(current)})`);
        const reading = { at, percent: current?.percentComplete ?? 0 };
        tracks.set(type, { first: reading, latest: reading });
        known[type] = current;
        continue;
      }
      toCreate.push(type);
    }
    // The documented precondition: a video gets downloads once it is ready to view. When Cloudflare does not
    // say (no readyToStream, no state), try, and let a refusal send us to the video (createOne).
    if (toCreate.length > 0 && details.readyToStream === false) {
      await waitForVideo(ctx, job, details);
    }
    for (const type of toCreate) {
      if (phaseOf(existing[type]) === "failed") {
        log(`${label(video, type)}: the existing download had failed; generating it again`);
        await client.deleteDownload(accountId, video, type).catch(ignoreNotFound);
      }
      // Counted as ours before the POST: if its answer is lost, the download may exist all the same.
      created.push(type);
      const hint = await createOne(ctx, job, type);
      // Timed after the POST returns: a retry's wait (Retry-After can be minutes) is not generation time.
      const at = clock.now();
      tracks.set(type, {
        first: { at, percent: 0 },
        latest: { at, percent: hint?.percentComplete ?? 0 },
      });
      if (hint) known[type] = hint;
    }
    if (!wait) {
      return { downloads: await fillFromList(client, job, known, created), video: details };
    }
    const downloads = await waitForDownloads(ctx, job, tracks, known, details.durationSeconds);
    return { downloads, video: details };
  } catch (error) {
    throw await rollBack(client, accountId, video, types, created, withHint(error as Error));
  }
}

/**
 * Without waiting, the create's answer may be all we have. When it does not give a status and a URL for
 * every created type, one read of the list does; a type the list does not show yet was still accepted.
 */
async function fillFromList(
  client: CloudflareClient,
  job: VideoJob,
  known: LiveDownloads,
  created: DownloadType[],
): Promise<LiveDownloads> {
  if (created.every((type) => known[type]?.url !== undefined)) return known;
  const live = await client.getDownloads(job.accountId, job.video);
  const filled: LiveDownloads = { ...known };
  for (const type of created) {
    filled[type] = live[type] ?? known[type] ?? { status: "inprogress", percentComplete: 0 };
  }
  return filled;
}

/** POSTs one type; if Cloudflare refuses because the video is still processing, waits for the video first. */
async function createOne(ctx: WaitContext, job: VideoJob, type: DownloadType): Promise<LiveDownload | undefined> {
  const { client } = ctx;
  const { accountId, video } = job;
  try {
    return await client.createDownload(accountId, video, type);
  } catch (error) {
    if (error instanceof NotFoundError) throw videoNotFound(accountId, video, error);
    if (!isClientError(error)) throw error;
    // Cloudflare does not document which error it returns for a video that is not ready yet, so look at
    // the video itself rather than at the error code.
    const details = await ctx.readVideo(accountId, video);
    if (details.readyToStream !== false) throw error;
    await waitForVideo(ctx, job, details, error);
    return await client.createDownload(accountId, video, type);
  }
}

/** Deletes what a failed create made, and returns the error to throw, mentioning anything left behind. */
async function rollBack(
  client: CloudflareClient,
  accountId: string,
  video: string,
  types: DownloadType[],
  created: DownloadType[],
  err: Error,
): Promise<Error> {
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

/** A 4xx that says "not now" or "not like this" rather than "not found", "not allowed" or "slow down". */
function isClientError(error: unknown): error is CloudflareApiError {
  const status = error instanceof CloudflareApiError ? error.status : 0;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429;
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof NotFoundError)) throw error;
}
