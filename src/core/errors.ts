/**
 * The error hierarchy, built in one place. A caller branches on a subclass only where it must:
 * not found, rate limited, authentication, timeout, network. Messages say what was being done and
 * what Cloudflare said, and never carry a credential (requests are described by method and path only).
 */
import type { LiveVideo } from "./parse";
import type { WireMessage } from "./wire";

/** Base class of every error this package throws. */
export class StreamDownloadError extends Error {
  override readonly name: string = "StreamDownloadError";
}

/** The provider has no usable credentials or settings; no request was sent. */
export class ConfigurationError extends StreamDownloadError {
  override readonly name = "ConfigurationError";
}

/** What an API error knows about the request that failed. */
export interface ApiErrorDetails {
  /** HTTP status, e.g. 404. */
  status: number;
  /** HTTP method, e.g. "GET". */
  method: string;
  /** Path below the API base, e.g. "/accounts/<id>/stream/<uid>/downloads". */
  path: string;
  /** Cloudflare's `errors[]`, empty when the body was not an envelope. */
  errors: WireMessage[];
  /** Milliseconds the server asked us to wait (from `Retry-After`), when it said. */
  retryAfterMs?: number;
  /** A short description of a body that was not a Cloudflare envelope (an HTML proxy page, truncated JSON). */
  bodyHint?: string;
}

/** The reason phrases of the statuses Cloudflare (and its file delivery) answers a failure with. */
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A status as a message shows it: "503 Service Unavailable", or only the number when it has no phrase here. */
export function statusLine(status: number): string {
  const text = STATUS_TEXT[status];
  return text ? `${status} ${text}` : String(status);
}

/** How many of Cloudflare's `errors[]` a message quotes, and how much of each: a person reads it. */
const QUOTED_ERRORS = 3;
const QUOTED_CHARS = 300;

function quoteError(e: WireMessage): string {
  const text = e.message.length > QUOTED_CHARS ? `${e.message.slice(0, QUOTED_CHARS)}… (cut)` : e.message;
  return `[${e.code}] ${text}`;
}

function describeApiFailure(d: ApiErrorDetails): string {
  const more = d.errors.length - QUOTED_ERRORS;
  const said =
    d.errors.length > 0
      ? d.errors.slice(0, QUOTED_ERRORS).map(quoteError).join("; ") + (more > 0 ? `; and ${more} more` : "")
      : (d.bodyHint ?? "no error details in the response");
  return `Cloudflare API ${statusLine(d.status)}: ${d.method} ${d.path}: ${said}`;
}

/** Cloudflare answered, and the answer was a failure (an HTTP error, or `success: false`). */
export class CloudflareApiError extends StreamDownloadError {
  override readonly name: string = "CloudflareApiError";
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly errors: WireMessage[];
  readonly retryAfterMs: number | undefined;
  readonly bodyHint: string | undefined;

  constructor(details: ApiErrorDetails, message = describeApiFailure(details)) {
    super(message);
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.errors = details.errors;
    this.retryAfterMs = details.retryAfterMs;
    this.bodyHint = details.bodyHint;
  }

  /** Builds the subclass that fits the status, so callers can branch with `instanceof`. */
  static generate(details: ApiErrorDetails): CloudflareApiError {
    if (details.status === 404) return new NotFoundError(details);
    if (details.status === 429) return new RateLimitedError(details);
    if (details.status === 401 || details.status === 403) return new AuthenticationError(details);
    return new CloudflareApiError(details);
  }
}

/** 404: the video, or the download of that type, does not exist. */
export class NotFoundError extends CloudflareApiError {
  override readonly name = "NotFoundError";
}

/** 429: Cloudflare's rate limit was passed; it blocks the credential for a while. */
export class RateLimitedError extends CloudflareApiError {
  override readonly name = "RateLimitedError";
}

/** 401/403: the credential is missing, wrong, or lacks the Stream permission. */
export class AuthenticationError extends CloudflareApiError {
  override readonly name = "AuthenticationError";
  constructor(details: ApiErrorDetails) {
    super(
      details,
      `${describeApiFailure(details)}. Check that the API token is valid for this account and has the ` +
        `"Stream Write" permission (or "Stream Read" for refresh).`,
    );
  }
}

/** One HTTP attempt took longer than its timeout and was aborted. */
export class RequestTimeoutError extends StreamDownloadError {
  override readonly name = "RequestTimeoutError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`Cloudflare API request timed out after ${timeoutMs} ms: ${method} ${path}`);
  }
}

/** The connection failed before an answer arrived (reset, refused, DNS). */
export class NetworkError extends StreamDownloadError {
  override readonly name = "NetworkError";
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`Cloudflare API request failed before a response arrived: ${method} ${path}: ${causeText(cause)}`, {
      cause,
    });
  }
}

/**
 * Cloudflare answered with success, but with a result this package cannot read at all (for example a list of
 * downloads that is not an object). Not retried: the same request would get the same answer.
 */
export class UnexpectedResponseError extends StreamDownloadError {
  override readonly name = "UnexpectedResponseError";
  /** @param expected what the result should have been, e.g. "an array of videos" @default "an object" */
  constructor(
    readonly method: string,
    readonly path: string,
    result: unknown,
    expected = "an object",
  ) {
    const kind = typeof result;
    const shape =
      result === null ? "null" : Array.isArray(result) ? "an array" : kind === "object" ? "an object" : `a ${kind}`;
    super(
      `Cloudflare API ${method} ${path} answered with ${shape} where ${expected} was expected. Nothing was ` +
        `concluded from it; run the command again; if it persists, please report it (docs/live-check.md in the project's repository says how to make a transcript).`,
    );
  }
}

/** A download (or the video) will not become ready: it ended in `error`, or the deadline passed. */
export class DownloadNotReadyError extends StreamDownloadError {
  override readonly name = "DownloadNotReadyError";
}

/** The error for a video that does not exist (or not in this account). */
export function videoNotFound(accountId: string, video: string, error: NotFoundError): DownloadNotReadyError {
  return new DownloadNotReadyError(
    `Video ${video} was not found in account ${accountId} (${error.message}). Check identifier and accountId; ` +
      `a video deleted in the dashboard cannot have downloads.`,
    { cause: error },
  );
}

/** The error for a video whose processing failed: it cannot have downloads. */
export function videoFailed(video: string, v: LiveVideo): DownloadNotReadyError {
  return new DownloadNotReadyError(
    `Video ${video} failed to process in Cloudflare Stream (state "error": ${v.errorReason ?? "no reason given"}), ` +
      `so it cannot have downloads. Upload it again and point identifier at the new video.`,
  );
}

/** What a failed connection said, without the URL node-fetch repeats (the request is named beside it already). */
function causeText(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const said = cause.message.replace(/^request to \S+ failed, reason: /, "");
    return typeof code === "string" && code !== said ? `${code} (${said})` : said;
  }
  return String(cause);
}

/**
 * Why one attempt failed, in a few words for a retry line, which names the request itself once: the status and
 * Cloudflare's first error, or what became of the connection.
 */
export function attemptFailure(error: unknown): string {
  if (error instanceof CloudflareApiError) {
    const status = statusLine(error.status);
    const first = error.errors[0];
    const said = first ? quoteError(first) : error.bodyHint;
    return said ? `${status}: ${said}` : status;
  }
  if (error instanceof RequestTimeoutError) return `no answer within ${error.timeoutMs} ms`;
  if (error instanceof NetworkError) return `no answer: ${causeText(error.cause)}`;
  return error instanceof Error ? error.message : String(error);
}

/** Prefixes an error's message with what was being done, keeping its class and fields. */
export function withContext<E extends Error>(error: E, doing: string): E {
  error.message = `${doing}: ${error.message}`;
  return error;
}
