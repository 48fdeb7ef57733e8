/**
 * The delivery server: what `customer-<code>.cloudflarestream.com` is to Cloudflare, the host that serves the
 * download files. It listens on a port of its own (another origin than the API, as Cloudflare's delivery host
 * is), counts nothing against the API's rate limit (Cloudflare's limit is the API's), and serves
 * `/<uid>/downloads/<file>` (`default.mp4`, `audio.m4a`) for GET and HEAD:
 * - 200 with `Content-Length` and `Content-Type` once the download is ready (GET sends the bytes, filler);
 * - 401 for a video that requires signed URLs (its files answer only a signed token in place of the uid);
 * - 404 before the download is ready, for one that failed, for no such download or video;
 * - 405 for any other method.
 */
import type http from "node:http";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { DOWNLOAD_TYPE_TABLE, DOWNLOAD_TYPES, type DownloadType } from "../core/download-types";
import { presentedAuth } from "./auth";
import { describeFault, type FaultInjector } from "./faults";
import { parsePath } from "./routes";
import { downloadState, type StreamStore } from "./store";
import { LocalServer } from "./listener";
import { faultResponse, type RecordedRequest, redactHeaders } from "./transport";

/** What the delivery server needs of the emulator. */
export interface DeliveryDeps {
  store: StreamStore;
  faults: FaultInjector;
  now: () => number;
  /** The emulator's request sequence, shared with the API's log. */
  nextSeq: () => number;
  port: number;
  /** Called once a request got its response (or its socket was reset); `durationMs` is wall time. */
  finished: (record: RecordedRequest, durationMs: number) => void;
}

/** A delivery answer: status, headers, and the body's size (GET sends that many bytes; HEAD none). */
interface FileAnswer {
  status: number;
  headers: Record<string, string>;
  /** A short text body for errors. */
  text?: string;
  /** The size of the file body, for a 200. */
  bytes?: number;
}

/** The bytes a GET of a file sends, repeated: the files have a size and a type, not content. */
const FILLER = Buffer.alloc(64 * 1024);

/** The delivery server of one emulator; the emulator starts and stops it with the API. */
export class DeliveryServer {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly server: LocalServer;

  constructor(private readonly deps: DeliveryDeps) {
    this.server = new LocalServer((req, res) => this.onRequest(req, res));
  }

  /** `http://127.0.0.1:<port>`, the origin of download URLs with `downloadUrls: "emulator"`. */
  get origin(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** Starts listening on 127.0.0.1. */
  listen(): Promise<void> {
    return this.server.listen(this.deps.port);
  }

  /** Stops the server and destroys every socket; safe to call twice. */
  close(): Promise<void> {
    return this.server.close();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const { path, rawQuery } = parsePath(req.url ?? "/");
    const record: RecordedRequest = {
      seq: this.deps.nextSeq(),
      method,
      path,
      status: 0,
      at: this.deps.now(),
      auth: presentedAuth(req.headers, "delivery").scheme,
      headers: redactHeaders(req.headers),
      host: "delivery",
      ...(rawQuery ? { query: rawQuery } : {}),
    };
    this.requests.push(record);
    const finished = (): void => this.deps.finished(record, performance.now() - started);
    req.resume(); // a file request has no body worth reading
    const fault = this.deps.faults.pick(method, path, "delivery");
    if (fault) record.fault = describeFault(fault);
    if (fault?.kind === "reset") {
      req.socket.resetAndDestroy();
      finished();
      return;
    }
    if (fault?.kind === "hang") return;
    void (async () => {
      if (fault?.kind === "delay") await this.server.sleep(fault.ms);
      if (this.server.closed) return;
      let answer: FileAnswer;
      if (fault && fault.kind !== "delay") {
        const raw = faultResponse(fault);
        answer = { status: raw.status, headers: raw.headers, text: raw.body };
      } else {
        answer = this.fileAnswer(method, path);
      }
      record.status = answer.status;
      await send(res, method, answer);
    })()
      .catch((error: unknown) => {
        console.error("emulator: delivery request failed:", error);
        if (!res.headersSent) res.writeHead(500).end();
      })
      .finally(finished);
  }

  /** The answer to a request for a file, from the store as it is now. */
  private fileAnswer(method: string, path: string): FileAnswer {
    if (method !== "GET" && method !== "HEAD") {
      return { status: 405, headers: { Allow: "GET, HEAD" }, text: "Method not allowed: use GET or HEAD" };
    }
    const [uid, downloads, file, ...rest] = path.split("/").filter((s) => s !== "");
    const type = DOWNLOAD_TYPES.find((t: DownloadType) => DOWNLOAD_TYPE_TABLE[t].fileName === file);
    const video = uid === undefined ? undefined : this.deps.store.videoByUid(uid);
    if (downloads !== "downloads" || type === undefined || rest.length > 0 || video === undefined) {
      return notFound("no such file");
    }
    if (video.requireSignedURLs) {
      return {
        status: 401,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
        text: "This video requires a signed URL: put a signed token in place of the video id",
      };
    }
    const stored = video.downloads.get(type);
    if (stored === undefined) return notFound(`no ${type} download for this video`);
    const { status } = downloadState(stored, this.deps.now());
    if (status !== "ready")
      return notFound(`the ${type} download ${status === "error" ? "failed" : "is not ready yet"}`);
    const { bytes, contentType } = this.deps.store.downloadFile(video, type);
    return { status: 200, headers: { "Content-Type": contentType }, bytes };
  }
}

function notFound(why: string): FileAnswer {
  return { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" }, text: `Not found: ${why}` };
}

/** Writes an answer: the head with its `Content-Length`, then (for GET) the body. */
async function send(res: http.ServerResponse, method: string, answer: FileAnswer): Promise<void> {
  if (res.destroyed || res.writableEnded) return;
  const text = answer.text === undefined ? undefined : Buffer.from(answer.text, "utf8");
  const length = answer.bytes ?? text?.length ?? 0;
  res.writeHead(answer.status, { ...answer.headers, "Content-Length": String(length) });
  if (method === "HEAD") {
    res.end();
    return;
  }
  if (text !== undefined || answer.bytes === undefined) {
    res.end(text);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    Readable.from(filler(answer.bytes ?? 0))
      .on("error", reject)
      .pipe(res)
      .on("finish", resolve)
      .on("close", resolve)
      .on("error", reject);
  });
}

/** `bytes` bytes of filler, in chunks. */
function* filler(bytes: number): Generator<Buffer> {
  for (let left = bytes; left > 0; left -= FILLER.length)
    yield left >= FILLER.length ? FILLER : FILLER.subarray(0, left);
}
