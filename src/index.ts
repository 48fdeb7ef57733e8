/**
 * A Pulumi dynamic resource for Cloudflare Stream video downloads, and the core it shares with the
 * provider plugin (`pulumi-resource-cloudflare-stream`). Re-exports only.
 */
export { StreamDownload, streamDownloadProvider, type StreamDownloadArgs } from "./dynamic/resource";
export { StreamDownloadProvider, type ProviderDeps } from "./dynamic/provider";
export { CONFIG_KEYS } from "./dynamic/config";
export {
  DEFAULT_DOWNLOAD_TYPES,
  DEFAULT_READY_TIMEOUT_SECONDS,
  DOWNLOAD_TYPES,
  type DownloadInfo,
  type DownloadStatus,
  type DownloadType,
  type StreamDownloadInputs,
  type StreamDownloadOutputs,
} from "./core/types";
export { CloudflareClient, DEFAULT_BASE_URL, type ClientOptions, type Credentials } from "./core/client";
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
  UnexpectedResponseError,
} from "./core/errors";
export { ENV_VARS } from "./core/settings";
