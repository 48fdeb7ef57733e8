/**
 * File facts: what a ready download's file is, from one HEAD of its URL: its size in bytes (`Content-Length`,
 * which a podcast feed's enclosure needs) and its content type (which players and CDNs need). The URL is on
 * Cloudflare's delivery network (`customer-<code>.cloudflarestream.com`), not the API: the request costs none of
 * the API's quota, and it carries no credential. This module is never given one: the API token is for the API.
 *
 * A URL that does not answer 2xx is reported, never thrown: the download exists and is ready by Cloudflare's own
 * list, and the facts are extra. For a video that requires signed URLs, the 401 is expected and said so.
 */
import fetch, { type Response } from "node-fetch";
import { type Clock, systemClock } from "./clock";
import { statusLine } from "./errors";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs, type RetryPolicy } from "./retry";

/** What the HEAD of a download's URL told. */
export type FileFacts =
  /** 2xx: the file is served; size and type when the answer sent them (readably). */
  | { outcome: "served"; status: number; sizeBytes?: number; contentType?: string }
  /** 401 for a video that requires signed URLs: expected, the file is served only with a signed token. */
  | { outcome: "signed"; status: 401; reason: string }
  /** Anything else: the status (when an answer came) and a reason a person can act on. */
  | { outcome: "failed"; status?: number; reason: string };

/** Settings of one read of file facts. */
export interface FileFactsOptions {
  /** Whether the video requires signed URLs (its last read said so): a 401 is then expected. @default false */
  requireSignedURLs?: boolean;
  /** Timeout of one HEAD, in ms. @default 5000 */
  attemptTimeoutMs?: number;
  /**
   * The project's retry policy, of which `maxAttempts`, `baseDelayMs`, `maxDelayMs` and `maxRetryAfterMs` apply:
   * a lost connection, a timeout, 408, 429 and 5xx are tried again; other answers are final. A 429 here is the
   * delivery network's, not the API's block: `Retry-After` or the backoff, never the API's block probing.
   * @default FILE_FACTS_RETRY_POLICY
   */
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  /** Source of [0, 1) for retry jitter. */
  random?: () => number;
  /** Called before each retry, for progress output; carries no credential (there is none). */
  onRetry?: (notice: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * The retries of a HEAD: few and short. The facts are extra (a deployment never fails for them, and the next
 * refresh reads them again), so a host that does not answer costs at most three attempts and 0.75 s of backoff
 * (plus the attempts' timeouts), not the API's patience.
 */
export const FILE_FACTS_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};

/** The default timeout of one HEAD, in ms. */
export const FILE_FACTS_ATTEMPT_TIMEOUT_MS = 5000;

/** The longest content type kept; a longer one is no media type. */
const MAX_CONTENT_TYPE_CHARS = 100;
/** Redirects followed at most (a CDN may send one to another edge). */
const MAX_REDIRECTS = 5;

/** One attempt's outcome: an answer, or why none came. */
type Attempt = { response: Response } | { noAnswer: string };

/** Reads a download's file facts with a HEAD of its URL. Never throws for what the network or the host does. */
export async function readFileFacts(url: string, options: FileFactsOptions = {}): Promise<FileFacts> {
  if (!isHttpUrl(url)) return { outcome: "failed", reason: "the download's URL is not an http(s) URL" };
  const policy = { ...FILE_FACTS_RETRY_POLICY, ...options.retry };
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.attemptTimeoutMs ?? FILE_FACTS_ATTEMPT_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const outcome = await head(url, timeoutMs);
    let retryAfterMs: number | undefined;
    let why: string;
    if ("response" in outcome) {
      const { response } = outcome;
      if (!isRetriable(response.status)) return factsOf(response, options.requireSignedURLs ?? false);
      retryAfterMs = parseRetryAfterMs(response.headers.get("retry-after"), clock.now());
      why = `answered ${statusLine(response.status)}`;
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
        return { outcome: "failed", status: response.status, reason: `HEAD ${why} and asked to wait too long` };
      }
      if (attempt >= policy.maxAttempts) {
        return { outcome: "failed", status: response.status, reason: `HEAD ${why} (${attempt} attempts)` };
      }
    } else {
      why = outcome.noAnswer;
      if (attempt >= policy.maxAttempts) return { outcome: "failed", reason: `HEAD got ${why} (${attempt} attempts)` };
    }
    const delayMs = retryAfterMs ?? backoffDelayMs(attempt, policy, options.random);
    options.onRetry?.({ attempt, delayMs, reason: why });
    await clock.sleep(delayMs);
  }
}

/** One HEAD with its own timeout; the timer is cleared whatever happens. */
async function head(url: string, timeoutMs: number): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // Only what a browser would send for a public file: no Authorization, no X-Auth-* (this module has none).
    const response = await fetch(url, {
      method: "HEAD",
      headers: { Accept: "*/*" },
      redirect: "follow",
      follow: MAX_REDIRECTS,
      signal: controller.signal,
    });
    await response.text().catch(() => undefined); // a HEAD has no body; this frees the connection
    return { response };
  } catch (error) {
    if (controller.signal.aborted) return { noAnswer: `no answer within ${timeoutMs} ms` };
    const code = (error as { code?: unknown }).code;
    return {
      noAnswer: `no answer (${typeof code === "string" ? code : error instanceof Error ? error.name : "error"})`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What `factsOf` reads of an answer (node-fetch's `Response` has it). */
export interface AnswerHead {
  status: number;
  headers: { get(name: string): string | null };
}

/**
 * The facts of a final answer (not 408, 429 or 5xx, which are retried): pure, so that tests feed it generated
 * answers. A size is a whole number of bytes or nothing; a content type is kept as sent, unless it is too long or
 * holds control characters.
 */
export function factsOf(response: AnswerHead, requireSignedURLs: boolean): FileFacts {
  const { status } = response;
  if (status >= 200 && status < 300) {
    const served: FileFacts = { outcome: "served", status };
    const sizeBytes = readLength(response.headers.get("content-length"));
    if (sizeBytes !== undefined) served.sizeBytes = sizeBytes;
    const contentType = readContentType(response.headers.get("content-type"));
    if (contentType !== undefined) served.contentType = contentType;
    return served;
  }
  if (status === 401 && requireSignedURLs) {
    return {
      outcome: "signed",
      status,
      reason:
        "HEAD answered 401 Unauthorized, as expected: the video requires signed URLs, so its file is served only " +
        "with a signed token in place of the video id in the URL",
    };
  }
  const reason =
    status === 401 || status === 403
      ? `HEAD answered ${statusLine(status)} although the video does not require signed URLs (by its last read); ` +
        `if it does now, the next refresh says so`
      : `HEAD answered ${statusLine(status)} although Cloudflare lists the download as ready; the next refresh ` +
        `looks again`;
  return { outcome: "failed", status, reason };
}

function isRetriable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol, hostname } = new URL(text);
    return (protocol === "https:" || protocol === "http:") && hostname !== "";
  } catch {
    return false;
  }
}

/** `Content-Length` as a whole number of bytes, or undefined when absent or not one. */
function readLength(value: string | null): number | undefined {
  if (value === null || !/^\s*\d{1,16}\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `Content-Type` as sent (trimmed), or undefined when absent, too long or with control characters. */
function readContentType(value: string | null): string | undefined {
  const text = value?.trim();
  // eslint-disable-next-line no-control-regex
  if (!text || text.length > MAX_CONTENT_TYPE_CHARS || /[\u0000-\u001f\u007f]/.test(text)) return undefined;
  return text;
}
