/**
 * Generated Cloudflare answers, for the property-based tests of the reader and of whole operations
 * (tests/unit/answers.test.ts and tests/behaviour/answers.test.ts, and `npm run fuzz`). Each answer starts from a documented shape and is bent the ways a
 * real API, a proxy or a future version might bend it: fields missing, null, of another type, renamed, extra or
 * reordered; numbers as strings; statuses and download types nobody documents; empty and huge values; bodies
 * that are not JSON at all.
 */
import fc from "fast-check";

/** Huge values: long strings, long arrays, deep nesting, extreme numbers. Built cheaply, not shrunk. */
export const hugeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 5_000, max: 100_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 500, max: 5_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
  fc.integer({ min: 50, max: 300 }).map((n) => {
    let value: unknown = {};
    for (let i = 0; i < n; i++) value = { default: value };
    return value;
  }),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21, -1e21, 2 ** 53 + 1),
);

/** Keys that trip naive code: prototype names, the download types, look-alikes and odd spellings. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "toJSON"),
  fc.constantFrom(
    "default",
    "audio",
    "Default",
    "AUDIO",
    "video",
    "subtitles",
    "",
    " ",
    "status",
    "url",
    "percentComplete",
    "result",
    "success",
    "errors",
    "messages",
    "result_info",
  ),
  fc.string({ maxLength: 12 }),
);

/** A JSON value of any shape, small; its objects sometimes have keys such as `toString` or `__proto__`. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.dictionary(oddKey, fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }), weight: 1 },
);

/** What one field of an object may become. */
type Variant = { order: number } & (
  | { kind: "keep"; value: unknown }
  | { kind: "absent" }
  | { kind: "null" }
  | { kind: "other"; value: unknown }
  | { kind: "renamed"; key: string; value: unknown }
);

/**
 * An object with `fields`, each kept (most often), left out, null, of another type, or renamed (to one of
 * `renames`, or an odd key); extra keys; every key in a generated order. Built with `Object.fromEntries`, so a
 * key such as `__proto__` is an own property, as `JSON.parse` makes it.
 */
export function bent(
  fields: Record<string, fc.Arbitrary<unknown>>,
  renames: Record<string, readonly string[]> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const variants = Object.entries(fields).map(([name, value]) => {
    const renamed = renames[name] ?? [];
    const to = renamed.length > 0 ? fc.oneof(fc.constantFrom(...renamed), oddKey) : oddKey;
    const variant: fc.Arbitrary<Variant> = fc.oneof(
      { arbitrary: fc.record({ order: fc.nat(99), kind: fc.constant("keep" as const), value }), weight: 12 },
      { arbitrary: fc.record({ order: fc.nat(99), kind: fc.constant("absent" as const) }), weight: 2 },
      { arbitrary: fc.record({ order: fc.nat(99), kind: fc.constant("null" as const) }), weight: 2 },
      {
        arbitrary: fc.record({ order: fc.nat(99), kind: fc.constant("other" as const), value: fc.oneof(anyJson) }),
        weight: 2,
      },
      { arbitrary: fc.record({ order: fc.nat(99), kind: fc.constant("renamed" as const), key: to, value }), weight: 1 },
    );
    return variant.map((v) => [name, v] as const);
  });
  const extras = fc.array(fc.tuple(fc.nat(99), oddKey, fc.oneof({ arbitrary: anyJson, weight: 40 }, hugeValue)), {
    maxLength: 3,
  });
  return fc.tuple(fc.tuple(...variants), extras).map(([chosen, extra]) => {
    const entries: Array<[number, string, unknown]> = [];
    for (const [name, v] of chosen) {
      if (v.kind === "keep" || v.kind === "other") entries.push([v.order, name, v.value]);
      else if (v.kind === "null") entries.push([v.order, name, null]);
      else if (v.kind === "renamed") entries.push([v.order, v.key, v.value]);
    }
    for (const [order, key, value] of extra) {
      if (!entries.some(([, k]) => k === key)) entries.push([order, key, value]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    return Object.fromEntries(entries.map(([, key, value]) => [key, value]));
  });
}

/** A number that may come as a string, in every spelling a careless encoder might use. */
export function numberish(min: number, max: number): fc.Arbitrary<unknown> {
  const n = fc.oneof(fc.integer({ min, max }), fc.double({ min, max, noNaN: true }));
  return fc.oneof(
    { arbitrary: n, weight: 6 },
    { arbitrary: n.map((x) => String(x)), weight: 4 },
    { arbitrary: n.map((x) => ` ${x} `), weight: 1 },
    { arbitrary: n.map((x) => `${x}%`), weight: 1 },
    {
      arbitrary: fc.constantFrom("", " ", "NaN", "Infinity", "-Infinity", "1e400", "0x1A", "1,5", "n/a", "-0"),
      weight: 2,
    },
    { arbitrary: fc.oneof(fc.double(), fc.integer()), weight: 2 },
  );
}

/** A download status: documented, in another case or with spaces, undocumented, empty or huge. */
export const statusValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom("ready", "inprogress", "error"), weight: 8 },
  { arbitrary: fc.constantFrom("READY", " ready ", "Ready", "ready\n", "in_progress", "Error"), weight: 2 },
  { arbitrary: fc.constantFrom("queued", "pending", "processing", "unknown", "failed", "done", ""), weight: 2 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 20 }), weight: 1 },
  { arbitrary: fc.integer({ min: 50, max: 5000 }).map((n) => "ready".padEnd(n, "y")), weight: 1 },
);

/** A download URL: the documented form, other URLs, strings that are not URLs, empty or huge. */
export const urlValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z0-9]{16}$/), fc.stringMatching(/^[0-9a-f]{32}$/), fc.constantFrom("mp4", "m4a"))
      .map(([code, uid, ext]) => `https://customer-${code}.cloudflarestream.com/${uid}/downloads/default.${ext}`),
    weight: 8,
  },
  { arbitrary: fc.webUrl(), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      "",
      " ",
      "null",
      "undefined",
      "not a url",
      "/downloads/default.mp4",
      "//customer-x.cloudflarestream.com/a.mp4",
      "ftp://example.com/a.mp4",
      "javascript:alert(1)",
      "https://",
      "http://[::1",
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  { arbitrary: fc.integer({ min: 10_000, max: 100_000 }).map((n) => `https://e.example/${"a".repeat(n)}`), weight: 1 },
);

/** One download, as the list or a create might send it. */
export const downloadEntry: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: bent(
      { status: statusValue, percentComplete: numberish(-20, 150), url: urlValue },
      { percentComplete: ["percent_complete", "percent", "pctComplete"], url: ["URL", "download_url", "href"] },
    ),
    weight: 9,
  },
  { arbitrary: anyJson, weight: 1 },
);

/** Downloads keyed by type, with undocumented types and odd keys beside them. */
export const keyedDownloads: fc.Arbitrary<Record<string, unknown>> = bent(
  { default: downloadEntry, audio: downloadEntry },
  { default: ["mp4", "video", "Default"], audio: ["m4a", "Audio"] },
);

/** The forms an empty collection may take. Undefined stands for "no such key". */
export const emptyForm: fc.Arbitrary<unknown> = fc.constantFrom({}, [], null, undefined);

/** The `result` of `GET .../downloads`: keyed, empty in any form, or something else entirely. */
export const listResult: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: keyedDownloads, weight: 10 },
  { arbitrary: emptyForm, weight: 3 },
  { arbitrary: fc.array(downloadEntry, { minLength: 1, maxLength: 3 }), weight: 1 },
  { arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.double()), weight: 1 },
  { arbitrary: hugeValue, weight: 1 },
);

/** The `result` of a create: keyed, the single download, empty in any form, or anything. */
export const createResult: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: keyedDownloads, weight: 5 },
  { arbitrary: downloadEntry, weight: 5 },
  { arbitrary: emptyForm, weight: 2 },
  { arbitrary: anyJson, weight: 2 },
  { arbitrary: hugeValue, weight: 1 },
);

/** The `result` of `GET .../stream/{id}`: the video, bent. */
export const videoResult: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: bent(
      {
        uid: fc.stringMatching(/^[0-9a-f]{32}$/),
        readyToStream: fc.oneof(fc.boolean(), fc.constantFrom("true", "false", 1, 0)),
        requireSignedURLs: fc.oneof(fc.boolean(), fc.constantFrom("true", "false", 1, 0)),
        status: bent({
          state: fc.oneof(
            fc.constantFrom("ready", "inprogress", "queued", "error", "pendingupload", "downloading", "READY"),
            fc.string({ maxLength: 12 }),
          ),
          pctComplete: numberish(-20, 150),
          errorReasonCode: fc.oneof(fc.constantFrom("", "ERR_NON_VIDEO"), fc.string({ maxLength: 12 })),
          errorReasonText: fc.oneof(fc.constantFrom("", "Not a video."), fc.string({ maxLength: 40 }), hugeValue),
        }),
        meta: anyJson,
      },
      { readyToStream: ["ready_to_stream", "ready"], requireSignedURLs: ["require_signed_urls"] },
    ),
    weight: 9,
  },
  { arbitrary: fc.oneof(emptyForm, anyJson), weight: 1 },
);

/** The `result` of a DELETE: `"ok"` as documented, or anything. */
export const deleteResult: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant("ok"), weight: 3 },
  { arbitrary: fc.oneof(emptyForm, anyJson), weight: 2 },
);

/** One entry of `errors` or `messages`. */
export const wireMessage: fc.Arbitrary<unknown> = bent(
  {
    code: numberish(1000, 20000),
    message: fc.oneof(
      { arbitrary: fc.string({ maxLength: 60 }), weight: 10 },
      { arbitrary: anyJson, weight: 3 },
      { arbitrary: hugeValue, weight: 1 },
    ),
  },
  { message: ["msg", "detail"] },
);

const messageList = fc.oneof(
  { arbitrary: fc.array(wireMessage, { maxLength: 3 }), weight: 20 },
  { arbitrary: fc.array(wireMessage, { minLength: 20, maxLength: 60 }), weight: 1 },
  { arbitrary: emptyForm, weight: 2 },
  { arbitrary: anyJson, weight: 1 },
);

/** An HTTP answer: status, content type, `Retry-After` and the raw body. */
export interface Answer {
  status: number;
  contentType: string;
  retryAfter: string | null;
  text: string;
}

/** What a body is made from before it is serialized. */
function envelopeOf(result: fc.Arbitrary<unknown>, success: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return bent(
    { success, errors: messageList, messages: messageList, result },
    { success: ["ok", "Success"], result: ["data", "results", "Result"] },
  );
}

/** Bodies that are not an envelope at all: cut off, HTML, empty, a bare value. */
const notAnEnvelope: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "null", "true", "42", '"ok"', "[]", "{}", "<html><title>502 Bad Gateway</title></html>"),
  fc.string({ maxLength: 40 }),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([value, cut]) => {
    const text = JSON.stringify({ success: true, errors: [], messages: [], result: value });
    return text.slice(0, cut % text.length);
  }),
);

/**
 * Answers to one call whose documented result is `result`: mostly a 200 with a (bent) successful envelope,
 * sometimes a failure envelope with any status, and sometimes a body that is not an envelope.
 * @param failures how often `success` is false or not a boolean, against 10 for true
 */
export function answers(result: fc.Arbitrary<unknown>, failures = 1): fc.Arbitrary<Answer> {
  const success = fc.oneof(
    { arbitrary: fc.constant(true), weight: 10 },
    { arbitrary: fc.oneof(fc.constant(false), fc.constantFrom("true", 1, "false", 0)), weight: failures },
  );
  const status = fc.oneof(
    { arbitrary: fc.constant(200), weight: 12 },
    { arbitrary: fc.constantFrom(201, 202, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503), weight: 2 },
    { arbitrary: fc.integer({ min: 100, max: 599 }), weight: 1 },
  );
  const body = fc.oneof(
    { arbitrary: envelopeOf(result, success).map((value) => JSON.stringify(value) ?? ""), weight: 12 },
    { arbitrary: notAnEnvelope, weight: 1 },
  );
  return fc.record({
    status,
    contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/html", "text/plain"),
    retryAfter: fc.option(fc.oneof(fc.constantFrom("0", "1", "120", "soon", ""), fc.string({ maxLength: 8 }))),
    text: body,
  });
}
