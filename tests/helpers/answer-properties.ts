/**
 * The properties that generated answers must keep, shared by the fixed-seed run in `npm test`
 * (tests/unit/answers.test.ts and tests/behaviour/answers.test.ts) and the longer random one (`npm run fuzz`, scripts/fuzz.ts).
 *
 * Invariants: nothing fails with anything but a `StreamDownloadError` (no `TypeError`, no crash), and a failure
 * names the call (method and path) whose answer it could not read; a `ready` download always has a URL one can
 * fetch; an empty list in any form reads as "no downloads" and a list with a download never does; no DELETE of
 * a type the resource does not manage; no token, API key or email anywhere in a message, a log line or an
 * output, and the account id only where the request path or "account <id>" names it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDownloadsResult, unwrapEnvelope, type ResponseHead } from "../../src/core/client";
import { CloudflareApiError, StreamDownloadError, UnexpectedResponseError } from "../../src/core/errors";
import { StreamDownloadOperations } from "../../src/core/operations";
import { isUsable } from "../../src/core/download-state";
import { type LiveDownload, parseCreateHint, parseVideo } from "../../src/core/parse";
import { DOWNLOAD_TYPES, type DownloadType, type StreamDownloadOutputs } from "../../src/core/types";
import type { Credentials } from "../../src/core/client";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { type Answer, answers, createResult, deleteResult, emptyForm, listResult, videoResult } from "./answers";
import { TOKEN } from "./fixtures";

/** The legacy key pair the operations' emulator accepts; like TOKEN, it must never show up anywhere. */
export const API_KEY = "sekret-api-key-fedcba9876543210";
export const EMAIL = "sekret-user@example.com";

/** A message may be this long at most: a person reads it, and Cloudflare may send anything. */
export const MAX_MESSAGE_CHARS = 2000;

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const VIDEO = "fedcba9876543210fedcba9876543210";
const NOW = 1_700_000_000_000;

/** Where a property runs: in this process over the reader, or over HTTP against an emulator. */
export interface AnswerProperty {
  name: string;
  /** Generated cases in `npm test`. */
  runs: number;
  /** What one case is: one answer read, or one operation over HTTP with one to three answers rewritten. */
  unit: "answers" | "operations";
  property(context: PropertyContext): fc.IRawProperty<unknown[], boolean>;
}

/** What the operation properties share across runs: one emulator (none for the reader's properties). */
export interface PropertyContext {
  emulator?: Emulator;
}

function head(answer: Answer): ResponseHead {
  const headers: Record<string, string | null> = {
    "content-type": answer.contentType,
    "retry-after": answer.retryAfter,
  };
  return {
    status: answer.status,
    ok: answer.status >= 200 && answer.status < 300,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The secrets found in a text: credentials anywhere; with `account`, also the account id outside the places
 * that name it on purpose (a request path, "account <id>").
 */
export function leaks(text: string, account?: string): string[] {
  const found = [TOKEN, API_KEY, EMAIL].filter((secret) => text.includes(secret));
  if (account === undefined) return found;
  const named = text.split(`/accounts/${account}/`).join("").split(`account ${account}`).join("");
  if (named.includes(account)) found.push(`account id ${account}`);
  return found;
}

/** A failure as the invariants allow it: our error class, naming the call, short, with no secret. */
export function checkFailure(error: unknown, call?: { method: string; path: string }): void {
  assert.ok(error instanceof StreamDownloadError, `not a StreamDownloadError: ${String(error)}`);
  const message = error.message;
  if (call) assert.ok(message.includes(`${call.method} ${call.path}`), `does not name the call: ${message}`);
  if (error instanceof CloudflareApiError || error instanceof UnexpectedResponseError) {
    assert.ok(message.includes(`${error.method} ${error.path}`), `does not name the call: ${message}`);
  }
  assert.ok(message.length <= MAX_MESSAGE_CHARS, `a message of ${message.length} characters`);
  assert.deepEqual(leaks(message, ACCOUNT), [], message);
}

/** A URL a person can fetch: absolute, http or https. */
function isFetchable(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

/** One download as read: a status, a percentage in range, a fetchable URL when there is one. */
export function checkDownload(d: LiveDownload, where: string): void {
  assert.equal(typeof d.status, "string", where);
  assert.ok(d.status.length > 0 && d.status.length <= 64, `${where}: status of ${d.status.length} characters`);
  assert.equal(d.status, d.status.toLowerCase(), where);
  assert.ok(
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(d.status),
    `${where}: control characters in status ${JSON.stringify(d.status)}`,
  );
  if (d.percentComplete !== undefined) {
    assert.ok(Number.isFinite(d.percentComplete) && d.percentComplete >= 0 && d.percentComplete <= 100, where);
  }
  if (d.url !== undefined) assert.ok(isFetchable(d.url), `${where}: url ${JSON.stringify(d.url.slice(0, 80))}`);
  if (isUsable(d)) assert.ok(isFetchable(d.url), `${where}: ready without a URL`);
}

/** Reads an answer as the client does; the result, or the failure after checking it. */
function read(answer: Answer, method: string, path: string): { result: unknown } | undefined {
  try {
    return { result: unwrapEnvelope(method, path, head(answer), answer.text, NOW) };
  } catch (error) {
    checkFailure(error, { method, path });
    return undefined;
  }
}

const LIST_PATH = `/accounts/${ACCOUNT}/stream/${VIDEO}/downloads`;
const VIDEO_PATH = `/accounts/${ACCOUNT}/stream/${VIDEO}`;

/** The properties over the reader alone: most of the generated answers. */
export const READER_PROPERTIES: AnswerProperty[] = [
  {
    name: "the downloads list",
    runs: 4000,
    unit: "answers",
    property: () =>
      fc.property(answers(listResult), (answer) => {
        const read_ = read(answer, "GET", LIST_PATH);
        if (!read_) return true;
        const { result } = read_;
        const empty = result === undefined || result === null || (Array.isArray(result) && result.length === 0);
        let list;
        try {
          list = parseDownloadsResult("GET", LIST_PATH, result);
        } catch (error) {
          checkFailure(error, { method: "GET", path: LIST_PATH });
          assert.ok(!isObject(result) && !empty, "an object, or an empty form, is always a list");
          return true;
        }
        assert.ok(isObject(result) || empty, "a number, a string, a boolean or a full array read as a list");
        if (empty) assert.deepEqual(list, {}, "an empty form is no downloads");
        for (const [type, d] of Object.entries(list)) checkDownload(d, `list ${type}`);
        for (const type of DOWNLOAD_TYPES) {
          if (isObject(result) && result[type] !== undefined && result[type] !== null) {
            assert.ok(list[type] !== undefined, `the list has ${type}, the reader lost it`);
          }
        }
        assert.deepEqual(
          Object.keys(list).filter((k) => !(DOWNLOAD_TYPES as readonly string[]).includes(k)),
          [],
          "only download types",
        );
        return true;
      }),
  },
  {
    name: "the video",
    runs: 2000,
    unit: "answers",
    property: () =>
      fc.property(answers(videoResult), (answer) => {
        const read_ = read(answer, "GET", VIDEO_PATH);
        if (!read_) return true;
        const video = parseVideo(read_.result);
        assert.ok([true, false, undefined].includes(video.readyToStream));
        assert.equal(typeof video.requireSignedURLs, "boolean");
        if (video.state !== undefined) assert.equal(video.state, video.state.toLowerCase());
        if (video.percentComplete !== undefined) {
          assert.ok(video.percentComplete >= 0 && video.percentComplete <= 100);
        }
        if (video.errorReason !== undefined) {
          assert.ok(video.errorReason.length <= MAX_MESSAGE_CHARS / 2, `a reason of ${video.errorReason.length}`);
        }
        return true;
      }),
  },
  {
    name: "a create's answer",
    runs: 2500,
    unit: "answers",
    property: () =>
      fc.property(answers(createResult), fc.constantFrom(...DOWNLOAD_TYPES), (answer, type) => {
        const path = `${LIST_PATH}/${type}`;
        const read_ = read(answer, "POST", path);
        if (!read_) return true;
        const hint = parseCreateHint(read_.result, type);
        if (hint !== undefined) checkDownload(hint, `hint ${type}`);
        return true;
      }),
  },
  {
    name: "a delete's answer, and failures",
    runs: 1500,
    unit: "answers",
    property: () =>
      fc.property(
        answers(fc.oneof(deleteResult, emptyForm), 10),
        fc.constantFrom(...DOWNLOAD_TYPES),
        (answer, type) => {
          read(answer, "DELETE", `${LIST_PATH}/${type}`);
          return true;
        },
      ),
  },
];

/** Where a rewritten answer goes: which call, and what it says instead. */
interface Rewrite {
  call: "list" | "video" | "post" | "delete";
  type: DownloadType;
  skip: number;
  times: number;
  result: unknown;
}

const RESULTS = { list: listResult, video: videoResult, post: createResult, delete: deleteResult } as const;

/** Rewrites of the answers to `calls`, mostly the first such answer; with `once`, one answer only. */
function rewrites(calls: ReadonlyArray<Rewrite["call"]>, once = false): fc.Arbitrary<Rewrite[]> {
  const one = fc.oneof(
    ...calls.map((call) =>
      fc.record({
        call: fc.constant(call),
        type: fc.constantFrom(...DOWNLOAD_TYPES),
        skip: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.integer({ min: 1, max: 2 })),
        times: once ? fc.constant(1) : fc.integer({ min: 1, max: 2 }),
        result: RESULTS[call],
      }),
    ),
  );
  if (once) return fc.array(one, { minLength: 1, maxLength: 1 });
  return fc.oneof(
    { arbitrary: fc.array(one, { minLength: 1, maxLength: 1 }), weight: 2 },
    fc.array(one, { minLength: 2, maxLength: 3 }),
  );
}

interface Scenario {
  op: "create" | "read" | "delete";
  managed: DownloadType[];
  /** A download of a type the resource does not manage exists on the video (made in the dashboard). */
  unmanaged: boolean;
  waitForReady: boolean;
  credentials: "token" | "key";
  rewrites: Rewrite[];
}

function scenario(
  ops: ReadonlyArray<Scenario["op"]>,
  calls: ReadonlyArray<Rewrite["call"]>,
  once: boolean,
): fc.Arbitrary<Scenario> {
  return fc.record({
    op: fc.constantFrom(...ops),
    managed: fc.subarray([...DOWNLOAD_TYPES], { minLength: 1 }),
    unmanaged: fc.boolean(),
    waitForReady: fc.boolean(),
    credentials: fc.constantFrom("token", "key"),
    rewrites: rewrites(calls, once),
  });
}

/** Starts the emulator the operation properties share. */
export async function startPropertyEmulator(): Promise<Emulator> {
  return startEmulator({ token: TOKEN, apiKey: API_KEY, email: EMAIL, generationMs: 30, rateLimit: false });
}

function pathFor(r: Rewrite, video: string): { method: string; path: RegExp } {
  switch (r.call) {
    case "list":
      return { method: "GET", path: new RegExp(`/stream/${video}/downloads$`) };
    case "video":
      return { method: "GET", path: new RegExp(`/stream/${video}$`) };
    case "post":
      return { method: "POST", path: new RegExp(`/stream/${video}/downloads/${r.type}$`) };
    case "delete":
      return { method: "DELETE", path: new RegExp(`/stream/${video}/downloads/${r.type}$`) };
  }
}

function checkOutputs(outs: StreamDownloadOutputs | undefined, where: string): void {
  for (const type of DOWNLOAD_TYPES) {
    const info = outs?.[type];
    if (!info) continue;
    assert.ok(Number.isFinite(info.percentComplete) && info.percentComplete >= 0 && info.percentComplete <= 100);
    if (info.status === "ready") assert.ok(isFetchable(info.url), `${where}: ${type} ready without a URL`);
  }
  // Outputs hold the account id as an input: only credentials are looked for there.
  assert.deepEqual(leaks(JSON.stringify(outs ?? {})), [], "a credential in the outputs");
}

/**
 * Whole operations over HTTP, with answers rewritten by the emulator's `rewriteResult` fault: `ops` with
 * rewrites of the answers to `calls`.
 */
function operationProperty(
  name: string,
  runs: number,
  ops: ReadonlyArray<Scenario["op"]>,
  calls: ReadonlyArray<Rewrite["call"]>,
  once = false,
): AnswerProperty {
  return {
    name,
    runs,
    unit: "operations",
    property: ({ emulator }) => {
      if (!emulator) throw new Error(`the property "${name}" runs over HTTP: give it an emulator`);
      return fc.asyncProperty(scenario(ops, calls, once), (s) => operate(emulator, s));
    },
  };
}

/** Runs one scenario and checks every invariant. */
async function operate(emulator: Emulator, s: Scenario): Promise<boolean> {
  const account = ACCOUNT;
  const video = emulator.createVideo(account);
  const other = DOWNLOAD_TYPES.find((t) => !s.managed.includes(t));
  if (s.unmanaged && other) emulator.createDownload(account, video, other, { ready: true });
  const credentials: Credentials =
    s.credentials === "token" ? { kind: "token", token: TOKEN } : { kind: "key", apiKey: API_KEY, email: EMAIL };
  const lines: string[] = [];
  const ops = new StreamDownloadOperations({
    log: (line) => lines.push(line),
    poll: { firstPollMs: 10, minIntervalMs: 5, marginMs: 5, progressLogIntervalMs: 0, secondLookMs: 10 },
    // No client-side rate limit: thousands of runs share one credential, and the limiter would pace them.
    settings: () => ({ baseUrl: emulator.baseUrl, credentials, budget: { windows: [], maxConcurrent: 8 } }),
    client: { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 }, attemptTimeoutMs: 5000 },
  });
  const inputs = {
    accountId: account,
    identifier: video,
    downloadTypes: s.managed,
    waitForReady: s.waitForReady,
    // Rewrites apply at most twice and the emulator generates in 30 ms, so no run waits until this deadline:
    // it is there so that a loaded machine never turns a slow run into a timeout.
    readyTimeoutSeconds: 60,
  };
  const id = `${account}/${video}`;
  let props: StreamDownloadOutputs | undefined;
  if (s.op !== "create") props = (await ops.create({ ...inputs, waitForReady: true })).outs;
  const before = new Set(emulator.storedDownloads(account, video).map((d) => d.type));

  emulator.clearFaults();
  emulator.resetRequests();
  // A rewrite of a POST or DELETE aims at a type this resource sends one for.
  const aimed = s.rewrites.map((r) => (s.managed.includes(r.type) ? r : { ...r, type: s.managed[0] ?? r.type }));
  for (const r of aimed) {
    emulator.addFault({
      ...pathFor(r, video),
      skip: r.skip,
      times: r.times,
      fault: { kind: "rewriteResult", result: r.result },
    });
  }
  let error: unknown;
  let read: StreamDownloadOutputs | undefined;
  try {
    if (s.op === "create") checkOutputs((await ops.create(inputs)).outs, "create");
    else if (s.op === "read" && props) checkOutputs((read = (await ops.read(id, props)).props), "read");
    else if (props) await ops.delete(id, props);
  } catch (e) {
    error = e;
  } finally {
    emulator.clearFaults();
  }

  // A create's answer is only a hint, and a DELETE's answer says nothing: whatever they say (in a successful
  // envelope), the list decides, so an operation whose other answers are all true must succeed.
  if (s.rewrites.every((r) => r.call === "post" || r.call === "delete")) {
    assert.equal(error, undefined, `failed on a hint alone: ${(error as Error | undefined)?.message}`);
  }
  if (error !== undefined) {
    checkFailure(error);
    assert.ok((error as Error).message.includes(video), `does not name the video: ${(error as Error).message}`);
  }
  // One odd list answer is never enough to drop a download: refresh reads the list again before it does.
  const lists = aimed.filter((r) => r.call === "list");
  if (s.op === "read" && error === undefined && lists.length <= 1 && lists.every((r) => r.times === 1)) {
    for (const type of s.managed) assert.ok(read?.[type], `a refresh dropped ${type} on one odd list answer`);
  }
  for (const line of lines) assert.deepEqual(leaks(line, account), [], line);
  const deleted = emulator.requests.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
  const allowed: string[] = s.op === "read" ? [] : s.managed;
  for (const type of deleted) assert.ok(allowed.includes(type ?? ""), `${s.op} sent a DELETE of ${type}`);
  const after = new Set(emulator.storedDownloads(account, video).map((d) => d.type));
  if (s.unmanaged && other) assert.ok(after.has(other), "the download it does not manage is still there");
  if (s.op === "create" && error !== undefined && !/Could not delete/.test((error as Error).message)) {
    for (const type of s.managed) {
      assert.ok(!after.has(type) || before.has(type), `a failed create left the ${type} download it made`);
    }
  }
  emulator.deleteVideo(account, video);
  return true;
}

/** The properties over HTTP: fewer answers, each a whole operation. */
export const OPERATION_PROPERTIES: AnswerProperty[] = [
  operationProperty(
    "creates, reads and deletes, over HTTP",
    100,
    ["create", "read", "delete"],
    ["list", "video", "post", "delete"],
  ),
  operationProperty("creates whose odd answers are only hints, over HTTP", 60, ["create"], ["post", "delete"]),
  operationProperty("refreshes with one odd list answer, over HTTP", 40, ["read"], ["list"], true),
];

/** Every property, in the order they run. */
export const ANSWER_PROPERTIES: AnswerProperty[] = [...READER_PROPERTIES, ...OPERATION_PROPERTIES];

/** How many answers and operations `npm test` tries. */
export const DEFAULT_RUNS = {
  answers: ANSWER_PROPERTIES.filter((p) => p.unit === "answers").reduce((sum, p) => sum + p.runs, 0),
  operations: OPERATION_PROPERTIES.reduce((sum, p) => sum + p.runs, 0),
};

/** How to run a property: the seed, how many answers, and (to replay one failure) fast-check's path. */
export interface RunSettings {
  seed: number;
  numRuns: number;
  path?: string;
}

/**
 * Runs one property. On failure, the error says the seed, the path and the command that replays it, above
 * fast-check's own report (the counterexample, shrunk).
 */
export async function runProperty(p: AnswerProperty, context: PropertyContext, settings: RunSettings): Promise<void> {
  const parameters: fc.Parameters<unknown[]> = { seed: settings.seed, numRuns: settings.numRuns };
  if (settings.path !== undefined) parameters.path = settings.path;
  const details = await fc.check(p.property(context), parameters);
  if (!details.failed) return;
  const replay =
    `npm run fuzz -- --only "${p.name}" --seed ${details.seed}` +
    (details.counterexamplePath ? ` --path "${details.counterexamplePath}"` : "");
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Property "${p.name}" failed with seed ${details.seed} after ${details.numRuns} ${p.unit}: ${shorten(cause)}\n` +
      `Replay: ${replay}\n${shorten(fc.defaultReportMessage(details) ?? "")}`,
  );
}

/** A report with its long runs of one character cut (a huge generated string), so that it stays readable. */
function shorten(report: string): string {
  return report.replace(/(.)\1{60,}/g, (run, char: string) => `${char.repeat(20)}…(${run.length} × "${char}")`);
}
