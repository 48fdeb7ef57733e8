/**
 * The live check's record of its calls, redacted so that a user can attach it to a bug report, and a test can
 * load it as a fixture: the account id, the video id, the customer code in URLs, the credentials and anything
 * else that looks like a token are replaced by placeholders; so are the user's own values (`meta`, allowed
 * origins, public details, creator). Shapes (keys and value types) are kept, which is what the check compares.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { DownloadType } from "../../src/core/wire";
import { DOWNLOAD_TYPES } from "../../src/core/wire";

/** What each redacted value becomes. */
export const PLACEHOLDERS = {
  account: "<account>",
  video: "<video>",
  customerCode: "<code>",
  secret: "<redacted>",
} as const;

/** Identifies the file format. */
export const TRANSCRIPT_FORMAT = "stream-download-live-check/1";

/** One call as recorded. */
export interface TranscriptCall {
  /** Which of the provider's calls, e.g. `GET downloads (wait 2)`. */
  step: string;
  method: string;
  /** Below the API base, with `<account>` and `<video>` in place of the ids. */
  path: string;
  /** The HTTP status of the last response; 0 when none arrived. */
  status: number;
  /** The envelope's `result`, redacted; absent when the call failed. */
  result?: unknown;
  /** Why the call failed, redacted; absent when it succeeded. */
  error?: string;
}

/** A whole check, as written by `--json` and read by `--replay`. */
export interface Transcript {
  format: typeof TRANSCRIPT_FORMAT;
  /** What made it, and what was replaced. */
  note: string;
  /** `cloudflare` when the calls went to Cloudflare's API, `other` for any other base URL. */
  endpoint: "cloudflare" | "other";
  /** The download types the check asked for. */
  types: DownloadType[];
  /** How the check ended: `completed`, `timed out` (downloads not ready in time) or `failed: <why>`. */
  outcome: string;
  calls: TranscriptCall[];
}

/** Keys under which every string is the user's own (names, domains), not a shape. */
const PERSONAL_KEYS = new Set(["meta", "allowedOrigins", "publicDetails", "creator"]);

/** A customer subdomain of Stream, whose code identifies the account. */
const CUSTOMER_HOST = /customer-[a-z0-9]+\.cloudflarestream\.com/g;
/** Strings that look like a JSON web token (e.g. a signed URL token). */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** Long runs of id or token characters (API tokens are 40, ids 32), once the known ids are replaced. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{32,}/g;
/** Email addresses (the legacy key's account email, a creator's address). */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** The ids in a path below the API base: `/accounts/<account>/stream/<video>...`. */
const IDS_IN_PATH = /^\/accounts\/([^/]+)\/stream\/([^/]+)/;

/** Replaces what identifies the user in text and in results. */
export class Redactor {
  private readonly exact: Array<[string, string]>;

  /**
   * @param ids the account id and the video id of the check
   * @param secrets the credentials in use (token, or API key and email)
   */
  constructor(ids: { account: string; video: string }, secrets: readonly string[] = []) {
    this.exact = [
      ...secrets.filter((s) => s.length > 0).map((s): [string, string] => [s, PLACEHOLDERS.secret]),
      [ids.account, PLACEHOLDERS.account],
      [ids.video, PLACEHOLDERS.video],
    ];
    this.exact = this.exact.filter(([value]) => value.length > 0).sort(([a], [b]) => b.length - a.length);
  }

  /**
   * The redactor for a transcript read from a file: the ids are taken from its paths, so a transcript written
   * by hand (or edited) with real ids is redacted as the live check would have written it. One already
   * redacted is left as it is.
   */
  static forCalls(calls: ReadonlyArray<Pick<TranscriptCall, "path">>): Redactor {
    const placeholders: readonly string[] = [PLACEHOLDERS.account, PLACEHOLDERS.video];
    for (const call of calls) {
      const match = IDS_IN_PATH.exec(call.path);
      const [account, video] = [match?.[1] ?? "", match?.[2] ?? ""].map((id) => (placeholders.includes(id) ? "" : id));
      if (account || video) return new Redactor({ account: account ?? "", video: video ?? "" });
    }
    return new Redactor({ account: "", video: "" });
  }

  /** Redacts a piece of text: a path, an error message. */
  text(value: string): string {
    let out = value;
    // Longest first, so that a secret containing another (an email holding the account id) goes whole.
    for (const [secret, placeholder] of this.exact) out = out.split(secret).join(placeholder);
    return out
      .replace(CUSTOMER_HOST, `customer-${PLACEHOLDERS.customerCode}.cloudflarestream.com`)
      .replace(JWT, PLACEHOLDERS.secret)
      .replace(EMAIL, PLACEHOLDERS.secret)
      .replace(TOKEN_LIKE, PLACEHOLDERS.secret);
  }

  /** Redacts a result: every string, and every key (a key may be an id); numbers, booleans and nulls stay. */
  value(value: unknown, personal = false): unknown {
    if (typeof value === "string") return personal ? PLACEHOLDERS.secret : this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v, personal));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        out[this.text(key)] = this.value(v, personal || PERSONAL_KEYS.has(key));
      }
      return out;
    }
    return value;
  }

  /** A recorded call, redacted. */
  call(call: TranscriptCall): TranscriptCall {
    const out: TranscriptCall = { ...call, path: this.text(call.path) };
    if ("result" in call) out.result = this.value(call.result);
    if (call.error !== undefined) out.error = this.text(call.error);
    return out;
  }
}

/** Writes a transcript as formatted JSON. */
export function writeTranscript(file: string, transcript: Transcript): void {
  writeFileSync(file, `${JSON.stringify(transcript, null, 2)}\n`);
}

/** A transcript file that cannot be replayed; its message names the file and what is wrong. */
export class TranscriptError extends Error {
  override readonly name = "TranscriptError";
}

/** Reads and checks a transcript written by `--json`. @throws TranscriptError saying what is wrong. */
export function loadTranscript(file: string): Transcript {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TranscriptError(`cannot read the transcript "${file}": ${why}`);
  }
  const bad = (what: string): TranscriptError =>
    new TranscriptError(`"${file}" is not a live-check transcript: ${what} (write one with --json <file>)`);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw bad("not a JSON object");
  const t = parsed as Partial<Transcript>;
  if (t.format !== TRANSCRIPT_FORMAT) throw bad(`"format" is not "${TRANSCRIPT_FORMAT}"`);
  if (!Array.isArray(t.types) || !t.types.every((x) => (DOWNLOAD_TYPES as readonly string[]).includes(x))) {
    throw bad(`"types" is not a list of ${DOWNLOAD_TYPES.join(", ")}`);
  }
  if (!Array.isArray(t.calls)) throw bad(`"calls" is not a list`);
  for (const [i, c] of t.calls.entries()) {
    const call = c as Partial<TranscriptCall> | null;
    if (
      call === null ||
      typeof call !== "object" ||
      typeof call.step !== "string" ||
      typeof call.method !== "string" ||
      typeof call.path !== "string" ||
      typeof call.status !== "number"
    ) {
      throw bad(`call ${i + 1} lacks a step, method, path or status`);
    }
  }
  // Redacted again on the way in: what a replay prints is then as private as what --json writes, even for a
  // transcript written by hand from Cloudflare's documents (with their example ids).
  const calls = t.calls as TranscriptCall[];
  const redactor = Redactor.forCalls(calls);
  return {
    format: TRANSCRIPT_FORMAT,
    note: typeof t.note === "string" ? t.note : "",
    endpoint: t.endpoint === "cloudflare" ? "cloudflare" : "other",
    types: t.types,
    outcome: redactor.text(typeof t.outcome === "string" ? t.outcome : "completed"),
    calls: calls.map((call) => redactor.call(call)),
  };
}
