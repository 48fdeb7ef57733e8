/**
 * The video list, `GET /accounts/{account_id}/stream`, as Cloudflare documents it: up to 1,000 videos per answer
 * (`limit`, default and maximum 1,000), newest first unless `asc=true`, filtered by `id` ("a single ID or a
 * comma-separated list of IDs"), paged with a cursor on creation times (`before`/`after`, aliases `end`/`start`,
 * RFC 3339), and with `include_counts=true` the envelope's `total` and `range` beside `result`. Each video is
 * the same object `GET /stream/{id}` answers. Other documented filters (`status`, `creator`, `search`, `type`,
 * `video_name`, `name`, `live_input_id`) are not emulated: they are ignored, as unknown parameters are.
 */
import type { Dialect } from "./dialect";
import { presentVideo } from "./dialect";
import type { ApiResponse } from "./envelope";
import { ERRORS, fail, invalidField, ok } from "./envelope";
import type { StreamStore } from "./store";

/** Videos per answer at most, and when `limit` is not given. */
export const MAX_LIST_LIMIT = 1000;

/** A list request's parameters, checked. */
export interface ListQuery {
  /** Only these uids; undefined lists every video. */
  ids: ReadonlySet<string> | undefined;
  limit: number;
  asc: boolean;
  /** Only videos created strictly before this time (microseconds epoch): `before` and `end`, the earlier. */
  beforeMicros: number | undefined;
  /** Only videos created strictly after this time (microseconds epoch): `after` and `start`, the later. */
  afterMicros: number | undefined;
  includeCounts: boolean;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time as microseconds since the epoch (finer digits are dropped), or undefined when the text
 * is not one (a date alone, a missing offset, a day that does not exist).
 */
export function parseRfc3339Micros(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, date = "", time = "", fraction = "", offset = ""] = match;
  const ms = Date.parse(`${date}T${time}${offset.toUpperCase()}`);
  const day = Date.parse(`${date}T00:00:00Z`);
  // A day that does not exist (2026-02-30) is no time, however Date.parse reads it.
  if (Number.isNaN(ms) || Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== date) return undefined;
  return ms * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** The parameters of a list request, or the 400 that names the first one that is wrong. */
export function parseListQuery(query: URLSearchParams): { query: ListQuery } | { refused: ApiResponse } {
  const single = (name: string): string | undefined => {
    const values = query.getAll(name);
    return values.length === 0 ? undefined : values[values.length - 1];
  };
  const bad = (name: string, what: string, value: string) => ({
    refused: invalidField(name, `${what} (got "${value.length > 80 ? `${value.slice(0, 80)}…` : value}")`),
  });
  const flags: Record<string, boolean> = {};
  for (const name of ["asc", "include_counts"]) {
    const value = single(name);
    if (value !== undefined && value !== "true" && value !== "false") return bad(name, "must be true or false", value);
    flags[name] = value === "true";
  }
  const limitText = single("limit");
  const limit = limitText === undefined ? MAX_LIST_LIMIT : /^\d{1,7}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    return bad("limit", `must be a whole number from 1 to ${MAX_LIST_LIMIT}`, limitText ?? "");
  }
  const bounds: Record<string, number | undefined> = {};
  for (const name of ["before", "end", "after", "start"]) {
    const value = single(name);
    if (value === undefined) continue;
    const micros = parseRfc3339Micros(value);
    if (micros === undefined) {
      return bad(
        name,
        "must be an RFC 3339 date-time such as 2026-11-28T10:00:00Z (a + in an offset sent as %2B)",
        value,
      );
    }
    bounds[name] = micros;
  }
  const earliest = (...values: Array<number | undefined>) => pick(values, Math.min);
  const latest = (...values: Array<number | undefined>) => pick(values, Math.max);
  const idValues = query.getAll("id");
  const ids =
    idValues.length === 0
      ? undefined
      : new Set(
          idValues
            .flatMap((v) => v.split(","))
            .map((id) => id.trim())
            .filter((id) => id !== ""),
        );
  return {
    query: {
      ids,
      limit,
      asc: flags.asc ?? false,
      beforeMicros: earliest(bounds.before, bounds.end),
      afterMicros: latest(bounds.after, bounds.start),
      includeCounts: flags.include_counts ?? false,
    },
  };
}

function pick(values: Array<number | undefined>, choose: (...n: number[]) => number): number | undefined {
  const given = values.filter((v): v is number => v !== undefined);
  return given.length === 0 ? undefined : choose(...given);
}

/**
 * Answers a list request for one account. `total` counts the videos that match the filters (`id`), `range`
 * those that also lie within the cursor (`before`/`after`), this page included: the documents call `range`
 * "the total number of remaining videos based on cursor position", which this reads as the videos from the
 * cursor on, before `limit` cuts them.
 */
export function listVideos(
  store: StreamStore,
  accountId: string,
  params: URLSearchParams,
  dialect: Dialect,
): ApiResponse {
  if (dialect.videoList === "forbidden") return fail(403, ERRORS.authMissing);
  const parsed = parseListQuery(params);
  if ("refused" in parsed) return parsed.refused;
  const { ids, limit, asc, beforeMicros, afterMicros, includeCounts } = parsed.query;
  const matching = store.accountVideos(accountId).filter((video) => ids === undefined || ids.has(video.uid));
  const inRange = matching.filter(
    (video) =>
      (beforeMicros === undefined || video.createdMicros < beforeMicros) &&
      (afterMicros === undefined || video.createdMicros > afterMicros),
  );
  inRange.sort((a, b) => (asc ? a.createdMicros - b.createdMicros : b.createdMicros - a.createdMicros));
  const page = inRange.slice(0, limit).map((video) => presentVideo(dialect, store.videoView(video)));
  const response = ok(dialect.videoList === "object" ? Object.fromEntries(page.map((v) => [v.uid, v])) : page);
  if (includeCounts) {
    response.body.total = matching.length;
    response.body.range = inRange.length;
  }
  return response;
}
