/**
 * A local Cloudflare Stream API for testing programs offline: `pulumi-cloudflare-stream-download/emulator`.
 *
 * It serves videos and their downloads on 127.0.0.1 with Cloudflare's paths, envelope, field names, status
 * codes, auth and rate limits, plus fault injection, out-of-band controls, a request log, and dialects for
 * the answers Cloudflare's documents disagree on. The same server runs from the command line as
 * `cloudflare-stream-emulator`.
 *
 * @example
 * ```ts
 * import { startEmulator } from "pulumi-cloudflare-stream-download/emulator";
 *
 * const emulator = await startEmulator({ token: "test-token", generationMs: 200 });
 * const uid = emulator.createVideo("023e105f4ecef8ad9ca31a8372d0c353");
 * process.env.CLOUDFLARE_BASE_URL = emulator.baseUrl; // http://127.0.0.1:<port>/client/v4
 * // ... run the code under test, then:
 * await emulator.close();
 * ```
 */
export { Emulator, startEmulator } from "./server";
export type { AccountDialect, EmulatorOptions } from "./options";
export type { RecordedRequest, ResponseListener } from "./transport";
export type { Fault, FaultRule, RandomFailures } from "./faults";
export type { RateLimitConfig, RateWindowRecord } from "./ratelimit";
export type { StoredDownload } from "./store";
export { EMPTY_LIST_FORMS, POST_SHAPES, PROGRESS_DIALECTS, VIDEO_LIST_FORMS } from "./dialect";
export { DOWNLOAD_URL_HOSTS } from "./store";
export type { DownloadUrlHost } from "./store";
export type { FaultTarget } from "./faults";
export type {
  DialectDownload,
  DialectVideo,
  DownloadDialect,
  EmptyListForm,
  PostShape,
  ProgressDialect,
  VideoDialect,
  VideoListForm,
} from "./dialect";
export type { DownloadType, WireDownload, WireDownloads, WireDownloadStatus, WireVideo } from "../core/wire";
