/**
 * A local HTTP server that speaks the Cloudflare v4 API for Stream videos and their downloads, with the same
 * paths, envelope, status codes, auth and rate limits, plus fault injection and out-of-band controls for tests.
 */
import { randomBytes } from "node:crypto";
import type http from "node:http";
import { performance } from "node:perf_hooks";
import type { DownloadType, WireDownloads, WireDownloadStatus, WireVideo } from "../core/wire";
import type { PresentedAuth } from "./auth";
import type { Dialect } from "./dialect";
import { checkDuration, type EmulatorOptions, resolveOptions } from "./options";
import { presentedAuth, tokenRateKey } from "./auth";
import { ERRORS, fail } from "./envelope";
import type { FaultRule, RandomFailures } from "./faults";
import { describeFault, FaultInjector } from "./faults";
import type { RateWindowRecord } from "./ratelimit";
import { RateLimiter } from "./ratelimit";
import { DeliveryServer } from "./delivery";
import { LocalServer } from "./listener";
import { API_PREFIX, handleRoute, matchRoute, parsePath } from "./routes";
import {
  ACTING_FAULTS,
  faultResponse,
  jsonResponse,
  type RawResponse,
  readBody,
  type RecordedRequest,
  redactHeaders,
  type ResponseListener,
} from "./transport";
import type { NewVideo, StoredDownload } from "./store";
import { downloadState, HEX32, StreamStore } from "./store";

// The public types are exported once, by index.ts; tests that start the emulator directly take these two here.
export type { EmulatorOptions } from "./options";
export type { RecordedRequest } from "./transport";

/** The emulator: an HTTP server on 127.0.0.1 plus controls for tests. Start one with `startEmulator`. */
export class Emulator {
  /**
   * The resolved options. `generationMs`, `generationMsPerVideoSecond`, `videoReadyMs`, `videoDurationSeconds`,
   * `downloadUrls`, `rateLimit` and the dialect fields (`postShape`, `progress`, `emptyList`, `videoDialect`,
   * `downloadDialect`, `videoList`, `accountDialects`) may be changed at run time: each request reads them anew.
   */
  readonly options: Required<EmulatorOptions>;
  /** Every API request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly server: LocalServer;
  private readonly store: StreamStore;
  private readonly delivery: DeliveryServer;
  private readonly faults = new FaultInjector();
  private readonly limiter = new RateLimiter();
  private readonly listeners = new Set<ResponseListener>();
  private seq = 0;

  /** Prefer `startEmulator`, which also listens. @throws RangeError on an invalid option. */
  constructor(options: EmulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.store = new StreamStore(this.options, () => this.delivery.origin);
    this.delivery = new DeliveryServer({
      store: this.store,
      faults: this.faults,
      now: () => this.options.now(),
      nextSeq: () => ++this.seq,
      port: this.options.deliveryPort,
      finished: (record, durationMs) => this.listeners.forEach((listener) => listener(record, durationMs)),
    });
    this.server = new LocalServer((req, res) => this.onRequest(req, res));
  }

  /** The port it listens on (0 before `listen`). */
  get port(): number {
    return this.server.port;
  }

  /** The API base URL, `http://127.0.0.1:<port>/client/v4`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.server.port}${API_PREFIX}`;
  }

  /**
   * The delivery server's origin, `http://127.0.0.1:<port>`, which serves `/<uid>/downloads/default.mp4` (and
   * `audio.m4a`); download URLs name it with `downloadUrls: "emulator"`.
   */
  get deliveryOrigin(): string {
    return this.delivery.origin;
  }

  /** Every request to the delivery server, in arrival order (not counted against the API's rate limit). */
  get deliveryRequests(): RecordedRequest[] {
    return this.delivery.requests;
  }

  /** Starts listening on 127.0.0.1 and the configured ports (the API's, then the delivery server's). */
  async listen(): Promise<void> {
    await this.server.listen(this.options.port);
    await this.delivery.listen();
  }

  /** Adds a fault rule and returns it live (its `applied` count grows). Rules apply in the order added. */
  addFault(rule: FaultRule): FaultRule {
    return this.faults.add(rule);
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Makes each request fail with probability `rate`, reproducibly for a given seed; null turns it off. */
  setRandomFailures(opts: RandomFailures | null): void {
    this.faults.setRandom(opts);
  }

  /** Subscribes to finished requests, the delivery server's too (for logging); returns the unsubscribe function. */
  onResponse(listener: ResponseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Creates a video without HTTP and returns its uid.
   * @param opts.readyMs time until it is ready to stream, in ms (default `videoReadyMs`)
   * @param opts.state `"error"` makes a video whose processing failed
   * @param opts.requireSignedURLs the video view reports `requireSignedURLs: true` (default false)
   * @param opts.durationSeconds its length (default `videoDurationSeconds`): its `duration` once ready, the size
   *   of its files, and with `generationMsPerVideoSecond` its downloads' generation time
   */
  createVideo(
    accountId: string,
    opts: { readyMs?: number; state?: "error"; requireSignedURLs?: boolean; durationSeconds?: number } = {},
  ): string {
    if (!HEX32.test(accountId)) {
      throw new RangeError(`emulator: account id must be 32 lowercase hex characters (got "${accountId}")`);
    }
    const create: NewVideo = { failed: opts.state === "error", requireSignedURLs: opts.requireSignedURLs ?? false };
    if (opts.readyMs !== undefined) create.readyMs = opts.readyMs;
    if (opts.durationSeconds !== undefined) {
      checkDuration(opts.durationSeconds, "durationSeconds");
      create.durationSeconds = opts.durationSeconds;
    }
    return this.store.createVideo(accountId, create).uid;
  }

  /** Deletes a video and its downloads without HTTP; nothing happens if it does not exist. */
  deleteVideo(accountId: string, uid: string): void {
    this.store.deleteVideo(accountId, uid);
  }

  /** The video as `GET /stream/{id}` would return it now in the documented dialect (none set), or undefined. */
  getVideo(accountId: string, uid: string): WireVideo | undefined {
    const video = this.store.video(accountId, uid);
    return video && this.store.videoView(video);
  }

  /**
   * The downloads of a video as `GET .../downloads` would return them now in the documented dialect
   * (`progress: "smooth"`, no `downloadDialect`); `{}` when none or no video.
   */
  downloads(accountId: string, uid: string): WireDownloads {
    const video = this.store.video(accountId, uid);
    return video ? this.store.downloadsView(video) : {};
  }

  /** Copies of the stored downloads of a video, with their timestamps (e.g. `readyAt` to measure detection lag). */
  storedDownloads(accountId: string, uid: string): StoredDownload[] {
    const video = this.store.video(accountId, uid);
    return video ? [...video.downloads.values()].map((d) => ({ ...d })) : [];
  }

  /** Every download of every video with its status now, for "nothing leaked" checks. */
  allDownloads(): Array<{ accountId: string; uid: string; type: DownloadType; status: WireDownloadStatus }> {
    const now = this.options.now();
    const all: Array<{ accountId: string; uid: string; type: DownloadType; status: WireDownloadStatus }> = [];
    for (const video of this.store.allVideos()) {
      for (const d of video.downloads.values()) {
        all.push({ accountId: video.accountId, uid: video.uid, type: d.type, status: downloadState(d, now).status });
      }
    }
    return all;
  }

  /**
   * Creates (or replaces) a download without HTTP, e.g. to simulate the dashboard; `ready: true` makes it
   * ready at once, otherwise it is subject to `failNextDownloads`. @throws Error when the video does not exist.
   */
  createDownload(accountId: string, uid: string, type: DownloadType, opts: { ready?: boolean } = {}): void {
    const video = this.store.video(accountId, uid);
    if (!video) throw new Error(`emulator: no video ${uid} in account ${accountId}`);
    this.store.addDownload(video, type, { ready: opts.ready ?? false });
  }

  /** Deletes a download without HTTP; nothing happens if it does not exist. */
  deleteDownload(accountId: string, uid: string, type: DownloadType): void {
    this.store.video(accountId, uid)?.downloads.delete(type);
  }

  /**
   * Makes the next `count` (default 1) downloads created, through the API or `createDownload`, of these `types`
   * (default all) end in status "error" `afterMs` after creation (default generationMs / 2), percentComplete frozen.
   */
  failNextDownloads(opts: { count?: number; types?: DownloadType[]; afterMs?: number }): void {
    this.store.failNextDownloads(opts);
  }

  /** Spends `n` of `token`'s quota as another client of it would (past the limit, the block starts), without HTTP. */
  spendQuota(token: string, n: number): void {
    if (this.options.rateLimit === false) return;
    this.limiter.spend(tokenRateKey(token), n, this.options.now(), this.options.rateLimit);
  }

  /** The rate-limit windows of `token` as the emulator counted them, oldest first (the latest 200). */
  rateLimitWindows(token: string): RateWindowRecord[] {
    return this.limiter.windows(tokenRateKey(token));
  }

  /** Clears both request logs, the API's and the delivery server's (sequence numbers keep counting). */
  resetRequests(): void {
    this.requests.length = 0;
    this.delivery.requests.length = 0;
  }

  /** Stops both servers and destroys every socket, hung ones included; safe to call twice. */
  async close(): Promise<void> {
    await Promise.all([this.server.close(), this.delivery.close()]);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const { path, segments, query, rawQuery } = parsePath(req.url ?? "/");
    const auth = presentedAuth(req.headers, req.socket.remoteAddress ?? "unknown");
    const record: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      status: 0,
      at: this.options.now(),
      auth: auth.scheme,
      headers: redactHeaders(req.headers),
      ...(rawQuery ? { query: rawQuery } : {}),
    };
    this.requests.push(record);
    const fault = this.faults.pick(method, path);
    if (fault) record.fault = describeFault(fault);
    const finished = (): void => {
      const duration = performance.now() - started;
      for (const listener of this.listeners) listener(record, duration);
    };

    if (fault?.kind === "reset") {
      req.socket.resetAndDestroy(); // RST, so the client sees ECONNRESET rather than a clean close
      finished();
      return;
    }
    if (fault?.kind === "hang") {
      req.resume(); // read and drop the body; never answer
      return;
    }
    void readBody(req)
      .then(async (body) => {
        if (fault?.kind === "delay") await this.server.sleep(fault.ms);
        if (this.server.closed || body.outcome === "aborted") return;
        let response: RawResponse;
        if (body.outcome === "tooLarge") response = jsonResponse(fail(413, ERRORS.bodyTooLarge));
        else if (fault && !ACTING_FAULTS.has(fault.kind)) response = faultResponse(fault);
        else response = this.apiResponse(method, segments, query, auth, body.text);
        if (fault?.kind === "rewriteResult" && response.status < 300) {
          response = jsonResponse({
            status: 200,
            body: { success: true, errors: [], messages: [], result: fault.result },
          });
        }
        if (fault?.kind === "dropResponse") {
          // The API has acted on the request; now lose its answer, as a dropped connection would.
          req.socket.resetAndDestroy();
          return;
        }
        this.send(res, record, response);
      })
      .catch((error: unknown) => {
        console.error("emulator: request failed:", error);
        this.send(res, record, jsonResponse(fail(500, ERRORS.internal)));
      })
      .finally(finished);
  }

  /** The API's own answer: rate limit first (every request counts), then routing, auth and the route. */
  private apiResponse(
    method: string,
    segments: string[] | undefined,
    query: URLSearchParams,
    auth: PresentedAuth,
    body: string,
  ): RawResponse {
    const headers: Record<string, string> = {};
    const rateLimit = this.options.rateLimit;
    if (rateLimit !== false) {
      const decision = this.limiter.hit(auth.rateKey, this.options.now(), rateLimit);
      Object.assign(headers, decision.headers);
      if (!decision.allowed) return jsonResponse(fail(429, ERRORS.rateLimited), headers);
    }
    const route = matchRoute(method, segments);
    if (!route) return jsonResponse(fail(404, ERRORS.noRoute), headers);
    const rejected = auth.reject(this.options);
    if (rejected) return jsonResponse(rejected, headers);
    try {
      return jsonResponse(handleRoute(this.store, route, body, this.dialect(route.accountId), query), headers);
    } catch (error) {
      console.error("emulator: handler failed:", error);
      return jsonResponse(fail(500, ERRORS.internal), headers);
    }
  }

  /** The dialect of a request under this account, from the options as they are now (its account's fields first). */
  private dialect(accountId: string): Dialect {
    // The account's fields that are set: one given as undefined leaves the emulator's own.
    const own = Object.fromEntries(
      Object.entries(this.options.accountDialects[accountId] ?? {}).filter(([, value]) => value !== undefined),
    );
    const { postShape, progress, emptyList, videoDialect, downloadDialect, videoList } = { ...this.options, ...own };
    return {
      postShape,
      progress,
      emptyList,
      video: { ...videoDialect },
      download: { ...downloadDialect },
      videoList,
      now: this.options.now(),
    };
  }

  private send(res: http.ServerResponse, record: RecordedRequest, response: RawResponse): void {
    record.status = response.status;
    if (res.destroyed || res.writableEnded) return;
    const body = Buffer.from(response.body, "utf8");
    res.writeHead(response.status, {
      "Content-Length": String(body.length),
      "Cf-Ray": `${randomBytes(8).toString("hex")}-EMU`,
      ...response.headers,
    });
    res.end(body);
  }
}

/** Starts an emulator on 127.0.0.1 and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new Emulator(options);
  await emulator.listen();
  return emulator;
}
