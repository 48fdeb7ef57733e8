/**
 * What crosses the emulator's sockets: a request's body as read, its headers as logged (credentials redacted),
 * and raw responses, both the API's JSON envelopes and the answers faults send in their place.
 */
import type http from "node:http";
import { STATUS_CODES } from "node:http";
import type { ApiResponse } from "./envelope";
import { ERRORS, errorForStatus, fail } from "./envelope";
import type { Fault } from "./faults";

/** One request as the emulator saw it (on the API, or on the delivery server). */
export interface RecordedRequest {
  /** 1, 2, 3... from the emulator's start; not reset by `resetRequests`. */
  seq: number;
  method: string;
  /** The decoded path without `/client/v4`, query or trailing slash. */
  path: string;
  /** The query string without its `?`, as sent, when there was one (e.g. `id=<uid>,<uid>&limit=2`). */
  query?: string;
  /** The status sent; 0 while pending, or when no response was sent (reset, hang, dropResponse). */
  status: number;
  /** Arrival time by the emulator's clock, ms epoch. */
  at: number;
  /** The credential scheme presented, valid or not. */
  auth: "bearer" | "key" | "none";
  /** The fault applied, e.g. `status:503`, `reset`, `delay:100`. */
  fault?: string;
  /** All request headers (lowercase names) with `authorization` and `x-auth-key` values replaced by "[redacted]". */
  headers: Record<string, string>;
  /** `"delivery"` for a request to the delivery server (a download file); absent for the API. */
  host?: "delivery";
}

/** Called once a request got its response (or its socket was reset); `durationMs` is wall time. */
export type ResponseListener = (request: RecordedRequest, durationMs: number) => void;

/** The request body, or why there is none. */
export type BodyOutcome = { outcome: "read"; text: string } | { outcome: "tooLarge" } | { outcome: "aborted" };

/** A response ready for the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REDACTED_HEADERS = new Set(["authorization", "x-auth-key"]);
const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";
/** What a `malformed` fault sends: an envelope cut off mid-way, as when a connection drops. */
const TRUNCATED_JSON = '{"success":true,"errors":[],"messages":[],"result":{"uid":"';

/** The request's headers for the log, with credentials replaced by "[redacted]". */
export function redactHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = REDACTED_HEADERS.has(name) ? "[redacted]" : Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** An API answer (envelope and status) as a JSON response. */
export function jsonResponse(response: ApiResponse, headers: Record<string, string> = {}): RawResponse {
  return {
    status: response.status,
    headers: { "Content-Type": JSON_TYPE, ...headers, ...response.headers },
    body: JSON.stringify(response.body),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Faults that let the API act on the request (and then delay, drop or rewrite its answer). */
export const ACTING_FAULTS: ReadonlySet<Fault["kind"]> = new Set(["delay", "dropResponse", "rewriteResult"]);

/** The response a fault produces instead of the API's (not used for reset, hang, delay and dropResponse). */
export function faultResponse(fault: Fault): RawResponse {
  switch (fault.kind) {
    case "status": {
      if (fault.body === undefined)
        return jsonResponse(fail(fault.status, errorForStatus(fault.status)), fault.headers);
      const type = isJson(fault.body) ? JSON_TYPE : "text/plain; charset=utf-8";
      return { status: fault.status, headers: { "Content-Type": type, ...fault.headers }, body: fault.body };
    }
    case "html": {
      const title = `${fault.status} ${STATUS_CODES[fault.status] ?? "Error"}`;
      const body = [
        "<html>",
        `<head><title>${title}</title></head>`,
        "<body>",
        `<center><h1>${title}</h1></center>`,
        "<hr><center>cloudflare</center>",
        "</body>",
        "</html>",
        "",
      ].join("\r\n");
      return { status: fault.status, headers: { "Content-Type": "text/html" }, body };
    }
    case "malformed":
      return { status: 200, headers: { "Content-Type": JSON_TYPE }, body: TRUNCATED_JSON };
    case "successFalse":
      return jsonResponse(fail(200, ERRORS.internal));
    case "rateLimited": {
      if (fault.retryAfterSeconds === undefined) return jsonResponse(fail(429, ERRORS.rateLimited));
      const seconds = String(fault.retryAfterSeconds);
      const headers = { "Retry-After": seconds, Ratelimit: `"default";r=0;t=${seconds}` };
      return jsonResponse(fail(429, ERRORS.rateLimited), headers);
    }
    case "reset":
    case "hang":
    case "delay":
    case "dropResponse":
    case "rewriteResult":
      throw new Error(`fault ${fault.kind} has no response of its own`);
  }
}

/** The body as text, or why there is none: past MAX_BODY_BYTES (the rest is drained), or the client went away. */
export function readBody(req: http.IncomingMessage): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) resolve({ outcome: "tooLarge" });
      else resolve({ outcome: "read", text: Buffer.concat(chunks).toString("utf8") });
    });
    req.on("error", () => resolve({ outcome: "aborted" }));
  });
}
