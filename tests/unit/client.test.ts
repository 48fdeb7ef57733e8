/**
 * The client's reading of one answer, once the HTTP exchange is over (the exchange itself, with retries, timeouts
 * and the limiter, is tested over real HTTP in tests/behaviour/client.test.ts).
 */
import assert from "node:assert/strict";
import { CloudflareClient, parseDownloadsResult, type ResponseHead, unwrapEnvelope } from "../../src/core/client";
import {
  AuthenticationError,
  CloudflareApiError,
  NotFoundError,
  RateLimitedError,
  UnexpectedResponseError,
} from "../../src/core/errors";

const PATH = "/accounts/a/stream/v";
const NOW = Date.parse("2030-01-01T00:00:00Z");

function head(status: number, headers: Record<string, string> = {}): ResponseHead {
  return { status, ok: status >= 200 && status < 300, headers: { get: (name) => headers[name.toLowerCase()] ?? null } };
}

/** What unwrapEnvelope throws for this answer. */
function failure(status: number, text: string, headers?: Record<string, string>): CloudflareApiError {
  try {
    unwrapEnvelope("GET", PATH, head(status, headers), text, NOW);
  } catch (error) {
    assert.ok(error instanceof CloudflareApiError, String(error));
    return error;
  }
  assert.fail("expected unwrapEnvelope to throw");
}

const envelope = (fields: Record<string, unknown>) => JSON.stringify({ errors: [], messages: [], ...fields });

describe("unwrapEnvelope", () => {
  it("returns the result of a successful envelope, and undefined when it has none", () => {
    assert.deepEqual(unwrapEnvelope("GET", PATH, head(200), envelope({ success: true, result: { a: 1 } }), NOW), {
      a: 1,
    });
    assert.equal(unwrapEnvelope("GET", PATH, head(200), envelope({ success: true }), NOW), undefined);
  });

  it("throws the error of the status for a failed envelope, with Cloudflare's errors and Retry-After", () => {
    const errors = [{ code: 10007, message: "not found" }];
    const notFound = failure(404, envelope({ success: false, errors, result: null }));
    assert.ok(notFound instanceof NotFoundError);
    assert.deepEqual([notFound.status, notFound.method, notFound.path], [404, "GET", PATH]);
    assert.deepEqual(notFound.errors, errors);
    assert.equal(notFound.message, `Cloudflare API 404 Not Found: GET ${PATH}: [10007] not found`);
    const limited = failure(429, envelope({ success: false }), { "retry-after": "7" });
    assert.ok(limited instanceof RateLimitedError);
    assert.equal(limited.retryAfterMs, 7000);
    const dated = failure(503, "<html></html>", { "retry-after": new Date(NOW + 5000).toUTCString() });
    assert.equal(dated.retryAfterMs, 5000);
    assert.ok(failure(403, envelope({ success: false })) instanceof AuthenticationError);
  });

  it("takes success: false as a failure even on a 200, and says that no error was listed", () => {
    const error = failure(200, envelope({ success: false, result: { a: 1 } }));
    assert.equal(error.message, `Cloudflare API 200: GET ${PATH}: success: false with no errors listed`);
    assert.equal(
      failure(500, envelope({ success: true })).message,
      `Cloudflare API 500 Internal Server Error: GET ${PATH}: no error details in the response`,
    );
  });

  it("describes a body that is no envelope: empty, an HTML page by its title, or anything else by type and size", () => {
    const hint = (text: string, headers: Record<string, string> = { "content-type": "text/html" }) =>
      failure(502, text, headers).message.replace(`Cloudflare API 502 Bad Gateway: GET ${PATH}: `, "");
    assert.equal(hint(""), "an empty body (text/html)");
    assert.equal(hint("", {}), "an empty body (no content type)");
    assert.equal(
      hint("<html><head><TITLE> 502 Bad Gateway </TITLE></head></html>"),
      'an HTML page titled "502 Bad Gateway" instead of JSON (text/html)',
    );
    assert.equal(hint("<html>no title</html>"), "a body that is not a Cloudflare JSON envelope (text/html, 21 bytes)");
    assert.equal(
      hint('{"result": {}', { "content-type": "application/json" }),
      "a body that is not a Cloudflare JSON envelope (application/json, 13 bytes)",
    );
    for (const notEnvelope of ["null", "42", '"ok"', '{"result": {}}', '{"success": "true"}']) {
      const error = failure(200, notEnvelope, { "content-type": "application/json" });
      assert.equal(error.errors.length, 0, notEnvelope);
      assert.match(error.message, /a body that is not a Cloudflare JSON envelope \(application\/json, \d+ bytes\)$/);
    }
  });

  it("reads Cloudflare's errors without trusting their types", () => {
    const errors = [
      { code: "1003", message: "as a string" },
      { code: 1004, message: 42 },
      { code: null, message: { toString: 1 } },
      { code: 1005, message: true },
      { code: 1006, message: null },
      { code: 1007 },
      "not an object",
      null,
    ];
    const error = failure(400, envelope({ success: false, errors }));
    assert.deepEqual(error.errors, [
      { code: 1003, message: "as a string" },
      { code: 1004, message: "42" },
      { code: NaN, message: '{"toString":1}' },
      { code: 1005, message: "true" },
      { code: 1006, message: "null" },
    ]);
    assert.deepEqual(failure(400, envelope({ success: false, errors: { message: "x" } })).errors, []);
  });
});

describe("parseDownloadsResult", () => {
  it("reads every empty form as no downloads, and throws naming the call when the result is no list", () => {
    assert.deepEqual(parseDownloadsResult("GET", PATH, null), {});
    assert.deepEqual(parseDownloadsResult("GET", PATH, { audio: { status: "ready" } }), { audio: { status: "ready" } });
    assert.throws(
      () => parseDownloadsResult("GET", `${PATH}/downloads`, 42),
      (error: unknown) =>
        error instanceof UnexpectedResponseError &&
        error.message.startsWith(`Cloudflare API GET ${PATH}/downloads answered with a number where an object`),
    );
  });
});

describe("CloudflareClient (without a request)", () => {
  it("drops trailing slashes of the base URL, and defaults to Cloudflare's API", () => {
    const credentials = { kind: "token", token: "t" } as const;
    assert.equal(
      new CloudflareClient({ credentials, baseUrl: "http://127.0.0.1:8787/client/v4//" }).baseUrl,
      "http://127.0.0.1:8787/client/v4",
    );
    assert.equal(new CloudflareClient({ credentials }).baseUrl, "https://api.cloudflare.com/client/v4");
  });
});
