/**
 * The emulator's options: what each means, its default, and the check of a value given.
 */
import { randomBytes } from "node:crypto";
import type {
  DownloadDialect,
  EmptyListForm,
  PostShape,
  ProgressDialect,
  VideoDialect,
  VideoListForm,
} from "./dialect";
import { EMPTY_LIST_FORMS, POST_SHAPES, PROGRESS_DIALECTS, VIDEO_LIST_FORMS } from "./dialect";
import type { RateLimitConfig } from "./ratelimit";
import { CLOUDFLARE_RATE_LIMIT } from "./ratelimit";
import { DOWNLOAD_URL_HOSTS, type DownloadUrlHost } from "./store";

/**
 * How to start the emulator; every field is optional. The dialect fields (`postShape`, `progress`, `emptyList`,
 * `videoDialect`, `downloadDialect`) choose how answers are phrased where Cloudflare's documents disagree or
 * are silent; the state behind them is the same in every dialect.
 */
export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** The API token accepted as `Authorization: Bearer <token>`. @default "test-token" */
  token?: string;
  /** The legacy API key accepted with `email` as `X-Auth-Key`. @default "test-key" */
  apiKey?: string;
  /** The email accepted with `apiKey` as `X-Auth-Email`. @default "test@example.com" */
  email?: string;
  /** Time for a download to go from inprogress to ready, in ms (plus `generationMsPerVideoSecond`). @default 2000 */
  generationMs?: number;
  /**
   * Added to a download's generation time for each second of its video's duration, in ms, so that long videos
   * take longer as on Cloudflare: generation = `generationMs` + duration x this. @default 0
   */
  generationMsPerVideoSecond?: number;
  /** Time for a copied video to become readyToStream, in ms. @default 0 */
  videoReadyMs?: number;
  /**
   * The duration of a video created without one (`createVideo(account, { durationSeconds })` sets one), in
   * seconds: the video's `duration` once ready, its size, its downloads' sizes and generation time. @default 12.5
   */
  videoDurationSeconds?: number;
  /** The 16-character [a-z0-9] code in download URLs (`customer-<code>.cloudflarestream.com`). @default random */
  customerCode?: string;
  /**
   * Where download URLs point: `"emulator"`, the emulator's delivery server (`emulator.deliveryOrigin`), which
   * serves the files (GET and HEAD) on its own port: another origin than the API, as Cloudflare's is, so that a
   * ready download's URL works as Cloudflare's does (the provider reads each ready file's size from it);
   * `"cloudflare"`, Cloudflare's own form `https://customer-<code>.cloudflarestream.com/...`, which nothing here
   * answers (for checking URL shapes against Cloudflare's).
   * @default "emulator"
   */
  downloadUrls?: DownloadUrlHost;
  /** TCP port of the delivery server on 127.0.0.1; 0 picks a free one. @default 0 */
  deliveryPort?: number;
  /** Requests per window per credential, or false for no limit. @default Cloudflare's 1200 per 5 min, 5 min block */
  rateLimit?: RateLimitConfig | false;
  /** The clock, in ms epoch, used for all state and rate limiting. @default Date.now */
  now?: () => number;
  /**
   * The `result` of both create routes (`POST .../downloads/{type}` and the legacy `POST .../downloads`):
   * `"single"` the one download created, `"keyed"` every download of the video keyed by type, `"empty"` `{}`.
   * The default follows Cloudflare's API reference page, which documents the legacy POST's result as the
   * single download; the type-specific route has no published schema.
   * @default "single"
   */
  postShape?: PostShape;
  /**
   * `"smooth"`: `percentComplete` rises from 0 to 100 over `generationMs`; `"coarse"`: it stays 0 until the
   * download is ready, then 100. Applies to every download view (GET list and POST results).
   * @default "smooth"
   */
  progress?: ProgressDialect;
  /** How `GET .../downloads` sends no downloads: `{}`, `null`, no `result`, or `[]`. @default "object" */
  emptyList?: EmptyListForm;
  /** Variations of the video view (pctComplete as a number, no readyToStream). @default {} (none) */
  videoDialect?: VideoDialect;
  /** Variations of download views (percent as a string, no url until ready, an extra status). @default {} (none) */
  downloadDialect?: DownloadDialect;
  /**
   * How `GET /accounts/{id}/stream` (the video list) answers: `"array"`, the documented array of videos;
   * `"object"`, the videos keyed by uid, a shape a reader must not take for the list; `"forbidden"`, a 403 as for
   * a token without the right to list videos. @default "array"
   */
  videoList?: VideoListForm;
  /**
   * Dialect fields for single accounts, by account ID: a request under `/accounts/{id}/` takes its account's
   * fields over the ones above, so that one emulator answers a fleet of accounts each in its own dialect (one
   * engine run then covers every dialect). @default {} (every account answers in the dialect above)
   */
  accountDialects?: Record<string, AccountDialect>;
}

/** The dialect fields one account may answer in, over the emulator's own (`accountDialects`). */
export type AccountDialect = Pick<
  EmulatorOptions,
  "postShape" | "progress" | "emptyList" | "videoDialect" | "downloadDialect" | "videoList"
>;

function randomCustomerCode(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join("");
}

/** Throws a RangeError naming the option, what it must be, and the value it got, unless `valid`. */
function check(valid: boolean, what: string, got: unknown): void {
  if (!valid) throw new RangeError(`emulator: ${what} (got ${JSON.stringify(got)})`);
}

/** The options with every default filled in, checked: a bad one throws a RangeError naming it. */
export function resolveOptions(options: EmulatorOptions): Required<EmulatorOptions> {
  const resolved: Required<EmulatorOptions> = {
    port: options.port ?? 0,
    token: options.token ?? "test-token",
    apiKey: options.apiKey ?? "test-key",
    email: options.email ?? "test@example.com",
    generationMs: options.generationMs ?? 2000,
    generationMsPerVideoSecond: options.generationMsPerVideoSecond ?? 0,
    videoReadyMs: options.videoReadyMs ?? 0,
    videoDurationSeconds: options.videoDurationSeconds ?? 12.5,
    customerCode: options.customerCode ?? randomCustomerCode(),
    downloadUrls: options.downloadUrls ?? "emulator",
    deliveryPort: options.deliveryPort ?? 0,
    rateLimit: options.rateLimit === undefined ? { ...CLOUDFLARE_RATE_LIMIT } : options.rateLimit,
    now: options.now ?? (() => Date.now()),
    postShape: options.postShape ?? "single",
    progress: options.progress ?? "smooth",
    emptyList: options.emptyList ?? "object",
    videoDialect: { ...options.videoDialect },
    downloadDialect: { ...options.downloadDialect },
    videoList: options.videoList ?? "array",
    accountDialects: { ...options.accountDialects },
  };
  const { port, deliveryPort, generationMs, generationMsPerVideoSecond, videoReadyMs, customerCode, rateLimit } =
    resolved;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, "port must be an integer 0-65535", port);
  const deliveryPortValid = Number.isInteger(deliveryPort) && deliveryPort >= 0 && deliveryPort <= 65535;
  check(deliveryPortValid, "deliveryPort must be an integer 0-65535", deliveryPort);
  check(generationMs >= 0, "generationMs must be >= 0", generationMs);
  const perSecondValid = generationMsPerVideoSecond >= 0 && Number.isFinite(generationMsPerVideoSecond);
  check(perSecondValid, "generationMsPerVideoSecond must be a number >= 0", generationMsPerVideoSecond);
  check(videoReadyMs >= 0, "videoReadyMs must be >= 0", videoReadyMs);
  checkDuration(resolved.videoDurationSeconds, "videoDurationSeconds");
  check(
    DOWNLOAD_URL_HOSTS.includes(resolved.downloadUrls),
    "downloadUrls must be cloudflare or emulator",
    resolved.downloadUrls,
  );
  check(/^[a-z0-9]{16}$/.test(customerCode), "customerCode must be 16 characters [a-z0-9]", customerCode);
  check(resolved.token !== "", "token must not be empty", "");
  check(resolved.apiKey !== "", "apiKey must not be empty", "");
  check(resolved.email !== "", "email must not be empty", resolved.email);
  checkDialect(resolved, "");
  for (const [account, dialect] of Object.entries(resolved.accountDialects)) {
    checkDialect(dialect, `accountDialects["${account}"].`);
  }
  if (rateLimit !== false) {
    const { limit, windowMs, blockMs, retryAfter } = rateLimit;
    const valid = Number.isInteger(limit) && limit > 0 && windowMs > 0 && blockMs >= 0;
    check(valid, "rateLimit needs an integer limit > 0, windowMs > 0 and blockMs >= 0", rateLimit);
    check([undefined, true, false].includes(retryAfter), "rateLimit.retryAfter must be a boolean", retryAfter);
  }
  return resolved;
}

/** Checks the dialect fields given (`prefix` names where they are in the options). @throws RangeError */
function checkDialect(dialect: AccountDialect, prefix: string): void {
  const { postShape, progress, emptyList, videoList } = dialect;
  check(
    postShape === undefined || POST_SHAPES.includes(postShape),
    `${prefix}postShape must be keyed, single or empty`,
    postShape,
  );
  check(
    progress === undefined || PROGRESS_DIALECTS.includes(progress),
    `${prefix}progress must be smooth or coarse`,
    progress,
  );
  check(
    emptyList === undefined || EMPTY_LIST_FORMS.includes(emptyList),
    `${prefix}emptyList must be object, null, absent or array`,
    emptyList,
  );
  check(
    videoList === undefined || VIDEO_LIST_FORMS.includes(videoList),
    `${prefix}videoList must be array, object or forbidden`,
    videoList,
  );
  const extraStatus = dialect.downloadDialect?.extraStatus;
  check(
    extraStatus === undefined || (extraStatus !== "" && extraStatus !== "ready" && extraStatus !== "error"),
    `${prefix}downloadDialect.extraStatus must be a non-empty status other than ready and error`,
    extraStatus,
  );
}

/** Checks a video duration in seconds. @throws RangeError naming `what` and the value */
export function checkDuration(seconds: number, what: string): void {
  if (!(Number.isFinite(seconds) && seconds > 0)) {
    throw new RangeError(`emulator: ${what} must be a number of seconds > 0 (got ${JSON.stringify(seconds)})`);
  }
}
