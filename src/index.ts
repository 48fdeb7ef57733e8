/**
 * A Pulumi dynamic resource for Cloudflare Stream video downloads.
 */
export { StreamDownload, type StreamDownloadArgs } from "./resource";
export { streamDownloadProvider, StreamDownloadProvider, type ProviderDeps } from "./provider";
export {
  DEFAULT_DOWNLOAD_TYPES,
  DEFAULT_READY_TIMEOUT_SECONDS,
  DOWNLOAD_TYPES,
  type DownloadInfo,
  type DownloadStatus,
  type DownloadType,
  type StreamDownloadInputs,
  type StreamDownloadOutputs,
} from "./types";
export { CloudflareClient, DEFAULT_BASE_URL, type ClientOptions, type Credentials } from "./client";
export {
  AuthenticationError,
  CloudflareApiError,
  ConfigurationError,
  DownloadNotReadyError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RequestTimeoutError,
  StreamDownloadError,
} from "./errors";
export { CONFIG_KEYS, ENV_VARS } from "./settings";
