/**
 * What people read: one short line per retry (the request once, why, when the next attempt goes), and check
 * failures named by the top-level property, so that the CLI can show its value beside the reason.
 */
import assert from "node:assert/strict";
import { FetchError } from "node-fetch";
import { checkInputs } from "../../src/core/check";
import type { RetryNotice } from "../../src/core/client";
import { attemptFailure, CloudflareApiError, NetworkError, RequestTimeoutError } from "../../src/core/errors";
import { retryLine } from "../../src/core/messages";

const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const PATH = `/accounts/${ACCOUNT}/stream/${VIDEO}/downloads`;
const URL = `http://127.0.0.1:8787/client/v4${PATH}`;

function notice(error: unknown, extra: Partial<RetryNotice> = {}): RetryNotice {
  return {
    method: "GET",
    path: PATH,
    attempt: 1,
    delayMs: 1234,
    reason: attemptFailure(error),
    block: false,
    ...extra,
  };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("retry lines", () => {
  it("say the request once, the status and Cloudflare's first error, and when the next attempt goes", () => {
    const error = CloudflareApiError.generate({
      status: 503,
      method: "GET",
      path: PATH,
      errors: [
        { code: 10000, message: "Internal error" },
        { code: 10001, message: "another one" },
      ],
    });
    assert.equal(
      retryLine(notice(error)),
      `cloudflare: GET ${PATH}: 503 Service Unavailable: [10000] Internal error; attempt 2 in 1.2s`,
    );
  });

  it("name a connection failure by its code, without the URL node-fetch puts in its message", () => {
    const cause = new FetchError(`request to ${URL} failed, reason: socket hang up`, "system", {
      code: "ECONNRESET",
    } as unknown as Error);
    const line = retryLine(notice(new NetworkError("GET", PATH, cause)));
    assert.equal(line, `cloudflare: GET ${PATH}: no answer: ECONNRESET (socket hang up); attempt 2 in 1.2s`);
    assert.equal(occurrences(line, PATH), 1);
    assert.ok(!line.includes("http"), line);
  });

  it("say how long an attempt waited for an answer that did not come", () => {
    assert.equal(
      retryLine(
        notice(new RequestTimeoutError("POST", `${PATH}/audio`, 30000), { method: "POST", path: `${PATH}/audio` }),
      ),
      `cloudflare: POST ${PATH}/audio: no answer within 30000 ms; attempt 2 in 1.2s`,
    );
  });

  it("say what a block without Retry-After means for the other requests", () => {
    const error = CloudflareApiError.generate({
      status: 429,
      method: "GET",
      path: PATH,
      errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }],
    });
    assert.equal(
      // As the client words a block's reason (tests/behaviour/rate-sharing.test.ts checks that it does).
      retryLine({
        ...notice(error, { attempt: 3, delayMs: 10000, block: true }),
        reason: `${attemptFailure(error)} (a block without Retry-After)`,
      }),
      `cloudflare: GET ${PATH}: 429 Too Many Requests: [971] Please wait and consider throttling your request speed ` +
        `(a block without Retry-After); every request of the token waits; attempt 4 in 10.0s`,
    );
  });

  it("quote a body that is not Cloudflare's JSON by what it is, and cut a long error as error messages do", () => {
    const html = CloudflareApiError.generate({
      status: 502,
      method: "GET",
      path: PATH,
      errors: [],
      bodyHint: 'an HTML page titled "502 Bad Gateway" instead of JSON (text/html)',
    });
    assert.equal(
      attemptFailure(html),
      '502 Bad Gateway: an HTML page titled "502 Bad Gateway" instead of JSON (text/html)',
    );
    const long = CloudflareApiError.generate({
      status: 500,
      method: "GET",
      path: PATH,
      errors: [{ code: 1, message: "x".repeat(5000) }],
    });
    assert.equal(attemptFailure(long), `500 Internal Server Error: [1] ${"x".repeat(300)}… (cut)`);
  });
});

describe("check failures", () => {
  it("name the top-level property and keep the index in the reason", () => {
    const { failures } = checkInputs({
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: ["mp3", "audio", "audio"],
    });
    assert.deepEqual(failures, [
      {
        property: "downloadTypes",
        reason: 'downloadTypes[0] is "mp3"; Cloudflare Stream knows only "default" and "audio".',
      },
      {
        property: "downloadTypes",
        reason: 'downloadTypes lists "audio" more than once (again at downloadTypes[2]); list each type once.',
      },
    ]);
  });
});
