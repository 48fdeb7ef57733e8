/**
 * The v4 envelope and the Cloudflare errors the emulator answers with, kept in one place so that codes and
 * messages stay consistent across routes, auth, rate limiting and faults.
 */
import { STATUS_CODES } from "node:http";
import type { WireEnvelope, WireMessage } from "../core/wire";

/** The envelope, with the counts a list adds beside `result` when asked (`include_counts=true`). */
export type Envelope = WireEnvelope<unknown> & { total?: number; range?: number };

/** A response the emulator is about to send: status, extra headers and the JSON body. */
export interface ApiResponse {
  status: number;
  body: Envelope;
  headers?: Record<string, string>;
}

/** The errors the emulator can answer with. Codes follow Cloudflare where known, plausible otherwise. */
export const ERRORS = {
  noRoute: { code: 7003, message: "No route for the URI" },
  authMissing: { code: 10000, message: "Authentication error" },
  authInvalidToken: { code: 9109, message: "Invalid access token" },
  authInvalidKey: { code: 9103, message: "Unknown X-Auth-Key or X-Auth-Email" },
  invalidHeaders: { code: 6003, message: "Invalid request headers" },
  invalidAuthorizationFormat: { code: 6111, message: "Invalid format for Authorization header" },
  rateLimited: { code: 971, message: "Please wait and consider throttling your request speed" },
  videoNotFound: { code: 10005, message: "Video not found" },
  downloadNotFound: { code: 10007, message: "Download not found" },
  videoNotReady: { code: 10006, message: "Video is not ready to be downloaded yet" },
  invalidJson: { code: 10002, message: "Request body is not valid JSON" },
  bodyTooLarge: { code: 10003, message: "Request body is too large" },
  internal: { code: 10001, message: "Internal error" },
} as const satisfies Record<string, WireMessage>;

/** A successful envelope around `result`. */
export function ok<T>(result: T, status = 200): ApiResponse {
  return { status, body: { success: true, errors: [], messages: [], result } };
}

/** A failed envelope (`success: false`, `result: null`) with the given errors. */
export function fail(status: number, ...errors: WireMessage[]): ApiResponse {
  return { status, body: { success: false, errors, messages: [], result: null } };
}

/** A 400 about one field of the request body, with `source.pointer` naming it. */
export function invalidField(field: string, message: string, code = 10010): ApiResponse {
  return fail(400, { code, message: `${field}: ${message}`, source: { pointer: `/${field}` } });
}

/** The error a Cloudflare-like API would send for a bare HTTP status, used by status faults without a body. */
export function errorForStatus(status: number): WireMessage {
  if (status === 401 || status === 403) return ERRORS.authMissing;
  if (status === 404) return { code: 10005, message: "not found" };
  if (status === 429) return ERRORS.rateLimited;
  if (status === 500) return ERRORS.internal;
  return { code: status >= 500 ? 10001 : 1000 + (status % 100), message: STATUS_CODES[status] ?? `HTTP ${status}` };
}
