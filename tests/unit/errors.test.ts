/**
 * The error hierarchy and its messages: what was done, what Cloudflare said, what to do; never a credential.
 */
import assert from "node:assert/strict";
import { STATUS_CODES } from "node:http";
import {
  type ApiErrorDetails,
  AuthenticationError,
  CloudflareApiError,
  ConfigurationError,
  DownloadNotReadyError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RequestTimeoutError,
  statusLine,
  StreamDownloadError,
  UnexpectedResponseError,
  videoFailed,
  videoNotFound,
  withContext,
} from "../../src/core/errors";
import { COMMON_CAUSES, label, seconds } from "../../src/core/messages";

const PATH = "/accounts/a/stream/v/downloads";
const details = (status: number, more: Partial<ApiErrorDetails> = {}): ApiErrorDetails => ({
  status,
  method: "GET",
  path: PATH,
  errors: [],
  ...more,
});

describe("errors", () => {
  it("builds the subclass that fits the status, each named as its class", () => {
    const cases: Array<[number, string]> = [
      [404, "NotFoundError"],
      [429, "RateLimitedError"],
      [401, "AuthenticationError"],
      [403, "AuthenticationError"],
      [400, "CloudflareApiError"],
      [500, "CloudflareApiError"],
    ];
    for (const [status, name] of cases) {
      const error = CloudflareApiError.generate(details(status));
      assert.equal(error.name, name, String(status));
      assert.equal(error.constructor.name, name, String(status));
      assert.ok(error instanceof StreamDownloadError);
    }
    assert.ok(CloudflareApiError.generate(details(404)) instanceof NotFoundError);
    assert.ok(CloudflareApiError.generate(details(429)) instanceof RateLimitedError);
    assert.ok(CloudflareApiError.generate(details(403)) instanceof AuthenticationError);
    assert.equal(new StreamDownloadError("x").name, "StreamDownloadError");
    assert.equal(new ConfigurationError("x").name, "ConfigurationError");
    assert.equal(new DownloadNotReadyError("x").name, "DownloadNotReadyError");
  });

  it("keeps the status, method, path, Cloudflare's errors and Retry-After", () => {
    const errors = [{ code: 10000, message: "Authentication error" }];
    const error = CloudflareApiError.generate(details(429, { method: "POST", errors, retryAfterMs: 2000 }));
    assert.deepEqual(
      [error.status, error.method, error.path, error.errors, error.retryAfterMs],
      [429, "POST", PATH, errors, 2000],
    );
  });

  it("says the status and its text, the request, and up to three of Cloudflare's errors, each cut at 300 characters", () => {
    const message = (status: number, more = {}) => CloudflareApiError.generate(details(status, more)).message;
    const expected: Array<[number, string]> = [
      [400, "Bad Request"],
      [404, "Not Found"],
      [408, "Request Timeout"],
      [409, "Conflict"],
      [429, "Too Many Requests"],
      [500, "Internal Server Error"],
      [502, "Bad Gateway"],
      [503, "Service Unavailable"],
      [504, "Gateway Timeout"],
    ];
    for (const [status, text] of expected) {
      assert.equal(message(status), `Cloudflare API ${status} ${text}: GET ${PATH}: no error details in the response`);
    }
    assert.equal(message(418), `Cloudflare API 418: GET ${PATH}: no error details in the response`);
    assert.equal(
      message(502, { bodyHint: "an empty body" }),
      `Cloudflare API 502 Bad Gateway: GET ${PATH}: an empty body`,
    );
    const four = [1, 2, 3, 4].map((code) => ({ code, message: `m${code}` }));
    assert.equal(
      message(400, { errors: four }),
      `Cloudflare API 400 Bad Request: GET ${PATH}: [1] m1; [2] m2; [3] m3; and 1 more`,
    );
    assert.equal(
      message(400, { errors: four.slice(0, 3) }),
      `Cloudflare API 400 Bad Request: GET ${PATH}: [1] m1; [2] m2; [3] m3`,
    );
    const long = "x".repeat(301);
    assert.equal(
      message(400, {
        errors: [
          { code: 7, message: long },
          { code: 8, message: long.slice(1) },
        ],
      }),
      `Cloudflare API 400 Bad Request: GET ${PATH}: [7] ${"x".repeat(300)}… (cut); [8] ${long.slice(1)}`,
    );
  });

  it("tells an authentication failure what to check", () => {
    assert.equal(
      CloudflareApiError.generate(details(403)).message,
      `Cloudflare API 403 Forbidden: GET ${PATH}: no error details in the response. Check that the API token is valid ` +
        `for this account and has the "Stream Write" permission (or "Stream Read" for refresh).`,
    );
    assert.match(CloudflareApiError.generate(details(401)).message, /^Cloudflare API 401 Unauthorized: GET /);
  });

  it("names the request of a timeout and of a lost connection, with the cause's code", () => {
    const timeout = new RequestTimeoutError("GET", PATH, 30000);
    assert.equal(timeout.name, "RequestTimeoutError");
    assert.deepEqual([timeout.method, timeout.path, timeout.timeoutMs], ["GET", PATH, 30000]);
    assert.equal(timeout.message, `Cloudflare API request timed out after 30000 ms: GET ${PATH}`);

    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const network = new NetworkError("DELETE", PATH, reset);
    assert.equal(network.name, "NetworkError");
    assert.deepEqual([network.method, network.path, network.cause], ["DELETE", PATH, reset]);
    assert.equal(
      network.message,
      `Cloudflare API request failed before a response arrived: DELETE ${PATH}: ECONNRESET (socket hang up)`,
    );
    const numbered = Object.assign(new Error("odd"), { code: 7 });
    assert.match(new NetworkError("GET", PATH, numbered).message, /: odd$/);
    assert.match(new NetworkError("GET", PATH, "refused").message, /: refused$/);
  });

  it("writes each failure status Cloudflare and its file delivery answer with its standard reason phrase", () => {
    for (const status of [400, 401, 403, 404, 408, 409, 410, 429, 500, 502, 503, 504]) {
      assert.equal(statusLine(status), `${status} ${STATUS_CODES[status]}`);
    }
    assert.equal(statusLine(599), "599", "a status without a phrase here is only its number");
    assert.match(new CloudflareApiError(details(410)).message, /^Cloudflare API 410 Gone: GET /);
    assert.match(new CloudflareApiError(details(599)).message, /^Cloudflare API 599: GET /);
  });

  it("leaves node-fetch's repeated URL out of a connection failure, and a code equal to the words once", () => {
    const fetchSaid = Object.assign(
      new Error("request to https://api.cloudflare.com/x failed, reason: connect ECONNREFUSED"),
      {
        code: "ECONNREFUSED",
      },
    );
    assert.match(new NetworkError("GET", PATH, fetchSaid).message, /: ECONNREFUSED \(connect ECONNREFUSED\)$/);
    const same = Object.assign(new Error("ETIMEDOUT"), { code: "ETIMEDOUT" });
    assert.match(new NetworkError("GET", PATH, same).message, /[^(]: ETIMEDOUT$/);
  });

  it("says what shape an unreadable answer had, and what to do", () => {
    const shapes: Array<[unknown, string]> = [
      [null, "null"],
      [[1], "an array"],
      [42, "a number"],
      ["x", "a string"],
    ];
    for (const [result, shape] of shapes) {
      const error = new UnexpectedResponseError("GET", PATH, result);
      assert.equal(error.name, "UnexpectedResponseError");
      assert.deepEqual([error.method, error.path], ["GET", PATH]);
      assert.equal(
        error.message,
        `Cloudflare API GET ${PATH} answered with ${shape} where an object was expected. Nothing was concluded ` +
          `from it; run the command again; if it persists, please report it (docs/live-check.md in the project's repository says how to make a transcript).`,
      );
    }
  });

  it("says an object came where something else was expected", () => {
    const error = new UnexpectedResponseError("GET", "/accounts/a/stream", { a: {} }, "an array of videos");
    assert.match(
      error.message,
      /^Cloudflare API GET \/accounts\/a\/stream answered with an object where an array of videos was expected\./,
    );
  });

  it("says a video was not found or failed, and what to do", () => {
    const notFound = new NotFoundError(details(404));
    const missing = videoNotFound("acc", "vid", notFound);
    assert.ok(missing instanceof DownloadNotReadyError);
    assert.equal(missing.cause, notFound);
    assert.equal(
      missing.message,
      `Video vid was not found in account acc (${notFound.message}). Check identifier and accountId; a video ` +
        `deleted in the dashboard cannot have downloads.`,
    );
    const failed = (errorReason?: string) =>
      videoFailed("vid", { requireSignedURLs: false, state: "error", ...(errorReason ? { errorReason } : {}) });
    assert.ok(failed() instanceof DownloadNotReadyError);
    assert.equal(
      failed("ERR_DURATION: too long").message,
      `Video vid failed to process in Cloudflare Stream (state "error": ERR_DURATION: too long), so it cannot have ` +
        `downloads. Upload it again and point identifier at the new video.`,
    );
    assert.match(failed().message, /\(state "error": no reason given\)/);
  });

  it("prefixes what was being done, keeping the error itself", () => {
    const error = new NotFoundError(details(404));
    const original = error.message;
    assert.equal(withContext(error, "Reading the downloads of video v"), error);
    assert.equal(error.message, `Reading the downloads of video v: ${original}`);
  });
});

describe("message words", () => {
  it("names the resource, and the type when there is one", () => {
    assert.equal(label("vid"), "StreamDownload vid");
    assert.equal(label("vid", "audio"), "StreamDownload vid audio");
  });

  it("writes milliseconds as seconds with one decimal", () => {
    assert.equal(seconds(7400), "7.4s");
    assert.equal(seconds(0), "0.0s");
    assert.equal(seconds(12_345), "12.3s");
  });

  it("names what commonly deletes a download behind Pulumi's back", () => {
    assert.match(
      COMMON_CAUSES,
      /^Commonly another tool deleted it: the delete of a cloudflare\.StreamDownload \(or Terraform /,
    );
    assert.match(COMMON_CAUSES, / cloudflare_stream_download\) for the same video, for example when switching /);
    assert.match(
      COMMON_CAUSES,
      /\(see docs\/switching\.md in the project's repository\), the Stream dashboard, or a script/,
    );
    assert.match(COMMON_CAUSES, /or the video itself was deleted\.$/);
  });
});
