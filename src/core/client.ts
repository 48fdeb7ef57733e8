/**
 * The Cloudflare API client: base URL, auth headers, the v4 envelope, typed errors, a timeout per
 * attempt, retries, and the shared rate limiter. The only module that touches the network.
 */
import fetch, { type Response } from "node-fetch";
import {
  attemptFailure,
  CloudflareApiError,
  NetworkError,
  RequestTimeoutError,
  UnexpectedResponseError,
} from "./errors";
import { type RequestLimiter } from "./limiter";
import { type Clock, systemClock } from "./clock";
import { parseRateLimitHeaders } from "./ratelimit-headers";
import {
  DEFAULT_RETRY_POLICY,
  isBlock,
  parseRetryAfterMs,
  type RetryDecision,
  retryDecision,
  type RetryPolicy,
} from "./retry";
import {
  type LiveDownload,
  type LiveDownloads,
  type LiveVideo,
  parseCreateHint,
  parseDownloadList,
  parseVideo,
  parseVideoList,
} from "./parse";
import type { DownloadType, WireEnvelope, WireMessage, WireVideo } from "./wire";

/** Cloudflare's API base. */
export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";

/** The most videos the video list answers at once (its documented `limit` maximum). */
export const MAX_LISTED_VIDEOS = 1000;

/** How to authenticate: an API token (preferred), or the legacy global API key with its email. */
export type Credentials = { kind: "token"; token: string } | { kind: "key"; apiKey: string; email: string };

/** Notice of a retry, for progress output. Carries no credential. */
export interface RetryNotice {
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  /** Why the attempt failed, in a few words (`attemptFailure`): the request is named by `method` and `path`. */
  reason: string;
  /** A 429 without `Retry-After`: every request of the token is paused, and this one probes after `delayMs`. */
  block: boolean;
}

/** Settings of a client. */
export interface ClientOptions {
  credentials: Credentials;
  /** @default "https://api.cloudflare.com/client/v4" */
  baseUrl?: string;
  /** Timeout of one HTTP attempt. @default 30000 */
  attemptTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Shared rate limiter; none means no client-side limit. */
  limiter?: RequestLimiter;
  /**
   * The deadline of the resource this client works for (ms, on `clock`): a block (429 without `Retry-After`) is
   * sat out until then, and at least for the policy's `maxBlockMs`.
   */
  deadline?: number;
  clock?: Clock;
  /** Source of [0, 1) for retry jitter. */
  random?: () => number;
  onRetry?: (notice: RetryNotice) => void;
  /** Called with the HTTP status of every response that arrived (each attempt), e.g. to show it; no credential. */
  onResponse?: (response: { method: string; path: string; status: number }) => void;
}

/** A thin, typed client for the Stream endpoints this project uses. */
export class CloudflareClient {
  readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly clock: Clock;
  // A closure, not a data property, so that the credential does not show up when a client is logged,
  // inspected or JSON-serialized. (Not a #private field: Pulumi's closure serializer cannot handle those.)
  private readonly authHeaders: () => Record<string, string>;

  private readonly options: Omit<ClientOptions, "credentials">;

  constructor({ credentials, ...options }: ClientOptions) {
    this.authHeaders = (): Record<string, string> =>
      credentials.kind === "token"
        ? { Authorization: `Bearer ${credentials.token}` }
        : { "X-Auth-Key": credentials.apiKey, "X-Auth-Email": credentials.email };
    this.options = options;
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  /** GET a video, read tolerantly: readiness, state, progress and `requireSignedURLs`. */
  async getVideo(accountId: string, videoId: string): Promise<LiveVideo> {
    return parseVideo(await this.request<unknown>("GET", videoPath(accountId, videoId)));
  }

  /**
   * Reads many videos with one request: `GET /accounts/{id}/stream?id=<uid>,<uid>...` (the video list filtered by
   * id), each read as `getVideo` reads one, keyed by uid. A video the answer does not show is absent from the map:
   * that says nothing (the list may lag behind an upload); read it with `getVideo`, whose 404 is the truth.
   * @param ids at most `MAX_LISTED_VIDEOS`; none sends no request
   * @throws UnexpectedResponseError when the answer is not a list of videos; the API errors `request` throws
   */
  async listVideos(accountId: string, ids: readonly string[]): Promise<Map<string, LiveVideo>> {
    if (ids.length === 0) return new Map();
    const path = listPath(accountId, ids);
    return readVideoList(path, await this.request<unknown>("GET", path));
  }

  /**
   * Reads the videos a batch holds when its request leaves: `ids` is called once, when the request has its rate
   * limiter slot, so that reads arriving while it waited can join. For one id, the video itself (`getVideo`'s
   * request, and its errors: a 404 is that video's); for more, the video list as `listVideos` reads it.
   */
  async readVideos(accountId: string, ids: () => readonly string[]): Promise<Map<string, LiveVideo>> {
    let sent: readonly string[] = [];
    let path = "";
    const result = await this.request<unknown>("GET", () => {
      sent = ids();
      const [only] = sent;
      path = sent.length === 1 && only !== undefined ? videoPath(accountId, only) : listPath(accountId, sent);
      return path;
    });
    const [only] = sent;
    if (sent.length === 1 && only !== undefined) return new Map([[only, parseVideo(result)]]);
    return readVideoList(path, result);
  }

  /** GET the downloads of a video: the truth about which exist; a type is present only once created. */
  async getDownloads(accountId: string, videoId: string): Promise<LiveDownloads> {
    const path = `${videoPath(accountId, videoId)}/downloads`;
    return parseDownloadsResult("GET", path, await this.request<unknown>("GET", path));
  }

  /**
   * POST the type-specific endpoint. Its result has no published schema, so what it says about the download is
   * only a hint (undefined when it says nothing); the list says whether the download exists.
   */
  async createDownload(accountId: string, videoId: string, type: DownloadType): Promise<LiveDownload | undefined> {
    return parseCreateHint(
      await this.request<unknown>("POST", `${videoPath(accountId, videoId)}/downloads/${type}`),
      type,
    );
  }

  /** DELETE the download of one type. */
  async deleteDownload(accountId: string, videoId: string, type: DownloadType): Promise<void> {
    await this.request<unknown>("DELETE", `${videoPath(accountId, videoId)}/downloads/${type}`);
  }

  /** Upload a video from a URL (`POST /stream/copy`). */
  copyVideo(accountId: string, url: string, meta?: Record<string, string>): Promise<WireVideo> {
    return this.request<WireVideo>("POST", `/accounts/${enc(accountId)}/stream/copy`, { url, meta });
  }

  /** Delete a video and its downloads. */
  async deleteVideo(accountId: string, videoId: string): Promise<void> {
    await this.request<unknown>("DELETE", videoPath(accountId, videoId));
  }

  /**
   * Sends one API request with retries, and unwraps the envelope. The retry decision is taken before the
   * request's limiter slot is released, so that after a 429 no other request slips out before the pause.
   * @param target the path below the base URL, starting with "/"; or a function that makes it, called once when
   *   the first attempt has its limiter slot (what it throws is thrown, and nothing is sent)
   */
  async request<T>(method: string, target: string | (() => string), body?: unknown): Promise<T> {
    const { limiter } = this.options;
    let blocks = 0;
    let blockedSince: number | undefined;
    let path = typeof target === "string" ? target : undefined;
    for (let attempt = 1; ; attempt++) {
      const release = limiter ? await limiter.acquire() : undefined;
      if (path === undefined) {
        try {
          path = (target as () => string)();
        } catch (error) {
          release?.();
          throw error;
        }
      }
      let failure: unknown;
      let decision: RetryDecision;
      try {
        return await this.attempt<T>(method, path, body);
      } catch (error) {
        failure = error;
        const now = this.clock.now();
        if (isBlock(error)) {
          blocks++;
          blockedSince ??= now;
        }
        decision = retryDecision(
          {
            error,
            attempt,
            blocks,
            streak: limiter?.blockStreak,
            now,
            blockedSince,
            deadline: this.options.deadline,
            random: this.options.random,
          },
          this.policy,
        );
        if (error instanceof CloudflareApiError && error.status === 429 && (decision.retry || isBlock(error))) {
          // Cloudflare blocks the whole token: hold every request of this process back, not just this one. A block
          // holds the others even when this request gives up: their deadlines are theirs to judge.
          const pauseMs = decision.retry ? decision.delayMs : blockPauseMs(this.policy);
          limiter?.pauseUntil(now + pauseMs);
        }
      } finally {
        release?.();
      }
      if (!decision.retry) throw failure;
      this.options.onRetry?.({
        method,
        path,
        attempt,
        delayMs: decision.delayMs,
        reason: attemptFailure(failure) + (decision.block ? " (a block without Retry-After)" : ""),
        block: decision.block,
      });
      await this.clock.sleep(decision.delayMs);
    }
  }

  private async attempt<T>(method: string, path: string, body: unknown): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.attemptTimeoutMs);
    try {
      let response: Response;
      let text: string;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers: this.headers(body !== undefined),
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
        text = await response.text();
      } catch (error) {
        if (controller.signal.aborted) throw new RequestTimeoutError(method, path, this.attemptTimeoutMs);
        throw new NetworkError(method, path, error);
      }
      this.options.onResponse?.({ method, path, status: response.status });
      this.options.limiter?.observe(
        response.status,
        parseRateLimitHeaders((name) => response.headers.get(name)),
      );
      return unwrapEnvelope(method, path, response, text, this.clock.now()) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  private headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = { Accept: "application/json", ...this.authHeaders() };
    if (hasBody) headers["Content-Type"] = "application/json";
    return headers;
  }
}

/** How long a block holds the other requests when the one that met it gives up: until the next probe would be. */
function blockPauseMs(policy: RetryPolicy): number {
  return policy.blockProbeFirstMs;
}

/** What reading an answer needs of its HTTP response (node-fetch's `Response` has it). */
export interface ResponseHead {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
}

/**
 * Reads one answer's v4 envelope and returns its `result` (undefined when the envelope has none). `success: false`
 * is an error even on a 2xx; a body that is not an envelope is a `CloudflareApiError` naming the call. Pure: the
 * HTTP exchange is over, so tests feed it generated answers directly.
 */
export function unwrapEnvelope(
  method: string,
  path: string,
  response: ResponseHead,
  text: string,
  now: number,
): unknown {
  const retryAfterMs = parseRetryAfterMs(response.headers.get("retry-after"), now);
  let envelope: Partial<WireEnvelope<unknown>> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") envelope = parsed as Partial<WireEnvelope<unknown>>;
  } catch {
    envelope = undefined;
  }
  if (envelope === undefined || typeof envelope.success !== "boolean") {
    throw CloudflareApiError.generate({
      status: response.status,
      method,
      path,
      errors: [],
      retryAfterMs,
      bodyHint: describeBody(response, text),
    });
  }
  if (!response.ok || !envelope.success) {
    throw CloudflareApiError.generate({
      status: response.status,
      method,
      path,
      errors: readMessages(envelope.errors),
      retryAfterMs,
      bodyHint: envelope.success ? undefined : "success: false with no errors listed",
    });
  }
  return envelope.result;
}

/**
 * Reads the result of `GET .../downloads` (see `parseDownloadList`: every empty form is "no downloads").
 * @throws UnexpectedResponseError naming the call when the result cannot be read as a list at all
 */
export function parseDownloadsResult(method: string, path: string, result: unknown): LiveDownloads {
  const downloads = parseDownloadList(result);
  if (downloads === undefined) throw new UnexpectedResponseError(method, path, result);
  return downloads;
}

/** Cloudflare's `errors[]`, read without trusting their types (a `message` may be an object, even `{"toString": 1}`). */
function readMessages(value: unknown): WireMessage[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((m): m is Record<string, unknown> => m !== null && typeof m === "object" && "message" in m)
    .map((m) => ({ code: readCode(m.code), message: readText(m.message) }));
}

function readCode(value: unknown): number {
  return typeof value === "number" || typeof value === "string" ? Number(value) : NaN;
}

/** A text from any JSON value (numbers, booleans and null as JSON writes them); never `String()` on an object. */
function readText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? "";
}

function describeBody(response: ResponseHead, text: string): string {
  const type = response.headers.get("content-type") ?? "no content type";
  if (text.length === 0) return `an empty body (${type})`;
  const title = /<title>([^<]{1,120})<\/title>/i.exec(text)?.[1];
  if (title) return `an HTML page titled "${title.trim()}" instead of JSON (${type})`;
  return `a body that is not a Cloudflare JSON envelope (${type}, ${text.length} bytes)`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function videoPath(accountId: string, videoId: string): string {
  return `/accounts/${enc(accountId)}/stream/${enc(videoId)}`;
}

/** The video list filtered by id. Commas stay literal (the documented separator); each id is encoded on its own. */
function listPath(accountId: string, ids: readonly string[]): string {
  if (ids.length === 0) throw new RangeError("the video list needs at least one id");
  if (ids.length > MAX_LISTED_VIDEOS) {
    throw new RangeError(`listVideos takes at most ${MAX_LISTED_VIDEOS} ids at once (got ${ids.length})`);
  }
  return `/accounts/${enc(accountId)}/stream?id=${ids.map(enc).join(",")}&limit=${ids.length}`;
}

/** The videos of a list answer, by uid. @throws UnexpectedResponseError when it is not a list of videos */
function readVideoList(path: string, result: unknown): Map<string, LiveVideo> {
  const videos = parseVideoList(result);
  if (videos === undefined) throw new UnexpectedResponseError("GET", path, result, "an array of videos");
  return videos;
}
