/**
 * The Stream routes: turning a request path into a route, and each route's handler over the store. Transport
 * concerns (auth, rate limiting, faults, logging) live in server.ts; these functions only see decoded input.
 */
import { DOWNLOAD_TYPES, type DownloadType, isDownloadType } from "../core/download-types";
import type { Dialect, DialectDownload } from "./dialect";
import { listResult, postResult, presentDownloads, presentVideo } from "./dialect";
import type { ApiResponse } from "./envelope";
import { ERRORS, fail, invalidField, ok } from "./envelope";
import { listVideos } from "./list";
import type { StoredVideo, StreamStore } from "./store";
import { HEX32 } from "./store";

/** Every API path starts with this prefix. */
export const API_PREFIX = "/client/v4";

/** A request path, decoded and normalized the way routes see it. */
export interface ParsedPath {
  /** Decoded, without the `/client/v4` prefix (when present), query, empty segments and trailing slash. */
  path: string;
  /** The path segments under `/client/v4`, or undefined when the path is not an API path. */
  segments: string[] | undefined;
  /** The query parameters (empty when none or unreadable). */
  query: URLSearchParams;
  /** The query string as sent, without its `?`; empty when none. */
  rawQuery: string;
}

/** One route of the emulated API with the identifiers taken from its path. */
export type Route =
  | { name: "copyVideo"; accountId: string }
  | { name: "listVideos"; accountId: string }
  | { name: "getVideo" | "deleteVideo"; accountId: string; uid: string }
  | { name: "listDownloads" | "createLegacyDownload" | "deleteLegacyDownload"; accountId: string; uid: string }
  | { name: "createDownload" | "deleteDownload"; accountId: string; uid: string; type: string };

/** Decodes and normalizes a request target such as `/client/v4/accounts/a/stream/?x=1`. */
export function parsePath(target: string): ParsedPath {
  const at = target.indexOf("?");
  const rawQuery = at < 0 ? "" : target.slice(at + 1);
  let pathname: string;
  let query: URLSearchParams;
  try {
    const url = new URL(target, "http://127.0.0.1"); // resolves dot segments
    pathname = url.pathname;
    query = url.searchParams;
  } catch {
    pathname = target.split("?")[0] ?? "";
    query = new URLSearchParams();
  }
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue; // tolerate `//` and a trailing slash
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return { path: pathname, segments: undefined, query, rawQuery };
    }
  }
  if (segments[0] === "client" && segments[1] === "v4") {
    const api = segments.slice(2);
    return { path: `/${api.join("/")}`, segments: api, query, rawQuery };
  }
  return { path: `/${segments.join("/")}`, segments: undefined, query, rawQuery };
}

/** The route for a method and path segments, or undefined (answered with 404 code 7003). */
export function matchRoute(method: string, segments: string[] | undefined): Route | undefined {
  if (!segments) return undefined;
  const [accounts, accountId, stream, uid, downloads, type, ...rest] = segments;
  if (accounts !== "accounts" || stream !== "stream" || accountId === undefined || !HEX32.test(accountId))
    return undefined;
  if (uid === "copy" && downloads === undefined)
    return method === "POST" ? { name: "copyVideo", accountId } : undefined;
  if (uid === undefined) return method === "GET" ? { name: "listVideos", accountId } : undefined;
  if (!HEX32.test(uid) || rest.length > 0) return undefined;
  if (downloads === undefined) {
    if (method === "GET") return { name: "getVideo", accountId, uid };
    if (method === "DELETE") return { name: "deleteVideo", accountId, uid };
    return undefined;
  }
  if (downloads !== "downloads") return undefined;
  if (type === undefined) {
    if (method === "GET") return { name: "listDownloads", accountId, uid };
    if (method === "POST") return { name: "createLegacyDownload", accountId, uid };
    if (method === "DELETE") return { name: "deleteLegacyDownload", accountId, uid };
    return undefined;
  }
  if (method === "POST") return { name: "createDownload", accountId, uid, type };
  if (method === "DELETE") return { name: "deleteDownload", accountId, uid, type };
  return undefined;
}

/**
 * Runs a matched route against the store; `body` is the raw request body, `dialect` how to phrase the answer,
 * `query` the request's query parameters.
 */
export function handleRoute(
  store: StreamStore,
  route: Route,
  body: string,
  dialect: Dialect,
  query: URLSearchParams = new URLSearchParams(),
): ApiResponse {
  if (route.name === "copyVideo") return copyVideo(store, route.accountId, body, dialect);
  if (route.name === "listVideos") return listVideos(store, route.accountId, query, dialect);
  if (route.name === "createDownload" || route.name === "deleteDownload") {
    const type = route.type;
    if (!isDownloadType(type)) {
      return fail(400, {
        code: 10008,
        message: `Invalid download type "${type}": must be one of ${DOWNLOAD_TYPES.join(", ")}`,
        source: { pointer: "/download_type" },
      });
    }
    const video = store.video(route.accountId, route.uid);
    if (!video) return fail(404, ERRORS.videoNotFound);
    if (route.name === "deleteDownload") return deleteDownload(video, type);
    return createDownload(store, video, type) ?? created(store, video, type, dialect);
  }
  const video = store.video(route.accountId, route.uid);
  if (!video) return fail(404, ERRORS.videoNotFound);
  switch (route.name) {
    case "getVideo":
      return ok(presentVideo(dialect, store.videoView(video)));
    case "deleteVideo":
      store.deleteVideo(route.accountId, route.uid);
      return ok(null);
    case "listDownloads":
      return ok(listResult(dialect, downloadsIn(dialect, store, video)));
    case "createLegacyDownload":
      return createDownload(store, video, "default") ?? created(store, video, "default", dialect);
    case "deleteLegacyDownload":
      return deleteDownload(video, "default");
  }
}

/** Creates a download unless one of that type exists (then it is left untouched); returns an error or undefined. */
function createDownload(store: StreamStore, video: StoredVideo, type: DownloadType): ApiResponse | undefined {
  if (video.downloads.has(type)) return undefined;
  if (!store.isReadyToStream(video)) return fail(400, ERRORS.videoNotReady);
  store.addDownload(video, type);
  return undefined;
}

/** Every download of the video, in the dialect. */
function downloadsIn(
  dialect: Dialect,
  store: StreamStore,
  video: StoredVideo,
): Partial<Record<DownloadType, DialectDownload>> {
  return presentDownloads(dialect, video, (d) => store.downloadView(video, d));
}

/** The answer to a create of `type` that succeeded, in the dialect's post shape. */
function created(store: StreamStore, video: StoredVideo, type: DownloadType, dialect: Dialect): ApiResponse {
  const keyed = downloadsIn(dialect, store, video);
  const download = keyed[type];
  return download ? ok(postResult(dialect, download, keyed)) : fail(500, ERRORS.internal);
}

function deleteDownload(video: StoredVideo, type: DownloadType): ApiResponse {
  if (!video.downloads.delete(type)) {
    return fail(404, { ...ERRORS.downloadNotFound, message: `Download not found: no ${type} download for this video` });
  }
  return ok("ok");
}

function copyVideo(store: StreamStore, accountId: string, body: string, dialect: Dialect): ApiResponse {
  let parsed: unknown;
  try {
    parsed = body.trim() === "" ? {} : JSON.parse(body);
  } catch {
    return fail(400, ERRORS.invalidJson);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return fail(400, ERRORS.invalidJson);
  const { url, meta, requireSignedURLs } = parsed as { url?: unknown; meta?: unknown; requireSignedURLs?: unknown };
  if (typeof url !== "string" || url === "") return invalidField("url", "is required and must be a string");
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return invalidField("url", `"${url}" is not a valid URL`);
  }
  if (protocol !== "http:" && protocol !== "https:") return invalidField("url", "must be an http or https URL");
  if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta))) {
    return invalidField("meta", "must be an object");
  }
  if (requireSignedURLs !== undefined && typeof requireSignedURLs !== "boolean") {
    return invalidField("requireSignedURLs", "must be true or false");
  }
  const storedMeta: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) storedMeta[k] = typeof v === "string" ? v : JSON.stringify(v);
  const video = store.createVideo(accountId, { meta: storedMeta, requireSignedURLs: requireSignedURLs ?? false });
  return ok(presentVideo(dialect, store.videoView(video)));
}
