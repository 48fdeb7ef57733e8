import assert from "node:assert/strict";
import { ConfigurationError } from "../../src/core/errors";
import { DEFAULT_RATE_BUDGET } from "../../src/core/limiter";
import { ENV_VARS, resolveSettings, settingsFailures } from "../../src/core/settings";
import {
  CONFIG_KEYS as DYNAMIC_KEYS,
  clearConfigured,
  currentSettings,
  storeConfigured,
} from "../../src/dynamic/config";
import { configFailures, settingsFor } from "../../src/native/config";
import { fromEnvironment, UsageError } from "../../scripts/live-check";

const TOKEN = "sekret-token-0123456789abcdef";
const KEY = "sekret-global-key-0123456789";

describe("settings: resolved in one place for the dynamic face, the plugin and the live check", () => {
  afterEach(() => clearConfigured());

  it("resolves the same environment to the same credentials and base URL for each of the three", () => {
    const env = { [ENV_VARS.apiToken]: ` ${TOKEN} `, [ENV_VARS.baseUrl]: "http://127.0.0.1:9/client/v4//" };
    const dynamic = currentSettings(env);
    const plugin = settingsFor({}, env);
    const liveCheck = fromEnvironment(env);
    const expected = { credentials: { kind: "token", token: TOKEN }, baseUrl: "http://127.0.0.1:9/client/v4" };
    assert.deepEqual({ credentials: dynamic.credentials, baseUrl: dynamic.baseUrl }, expected);
    assert.deepEqual({ credentials: plugin.credentials, baseUrl: plugin.baseUrl }, expected);
    assert.deepEqual(liveCheck, expected);
  });

  it("lets a face's config win over the environment, and a token over a key pair", () => {
    storeConfigured({ apiToken: TOKEN });
    const env = { [ENV_VARS.apiKey]: KEY, [ENV_VARS.email]: "me@example.com", [ENV_VARS.apiToken]: "other" };
    assert.deepEqual(currentSettings(env).credentials, { kind: "token", token: TOKEN });
    assert.deepEqual(settingsFor({ apiKey: KEY, email: "me@example.com" }, {}).credentials, {
      kind: "key",
      apiKey: KEY,
      email: "me@example.com",
    });
  });

  it("names a face's config keys and variables, but only the variables for the live check", () => {
    const faces = () => resolveSettings({}, DYNAMIC_KEYS, {});
    assert.throws(faces, (e: Error) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(e.message, /cloudflare:apiToken \(pulumi config set --secret cloudflare:apiToken <token>\)/);
      return true;
    });
    assert.throws(
      () => fromEnvironment({}),
      (e: Error) => {
        assert.ok(e instanceof UsageError);
        for (const name of [ENV_VARS.apiToken, ENV_VARS.apiKey, ENV_VARS.email]) assert.ok(e.message.includes(name));
        assert.doesNotMatch(e.message, /pulumi config|cloudflare:/);
        assert.match(e.message, /Nothing was sent\.$/);
        return true;
      },
    );
    assert.throws(
      () => fromEnvironment({ [ENV_VARS.apiKey]: KEY }),
      (e: Error) => {
        assert.match(e.message, /API key is set \(CLOUDFLARE_API_KEY\) but its email is not: set CLOUDFLARE_EMAIL/);
        assert.ok(!e.message.includes(KEY), "never the key");
        return true;
      },
    );
  });

  it("refuses a base URL that holds credentials without repeating it, for each of the three", () => {
    const env = { [ENV_VARS.apiToken]: TOKEN, [ENV_VARS.baseUrl]: "https://user:hunter2@example.com/client/v4" };
    for (const resolve of [() => currentSettings(env), () => settingsFor({}, env), () => fromEnvironment(env)]) {
      assert.throws(resolve, (e: Error) => {
        assert.match(e.message, /CLOUDFLARE_BASE_URL must not hold credentials/);
        assert.ok(!e.message.includes("hunter2") && !e.message.includes(TOKEN), e.message);
        return true;
      });
    }
  });

  it("reads the request budget from config or the environment, within Cloudflare's limit", () => {
    const budget = resolveSettings({ apiToken: TOKEN, requestsPerFiveMinutes: "300" }, DYNAMIC_KEYS, {}).budget;
    assert.equal(budget.windows[0]?.requests, 300);
    assert.deepEqual(budget.windows.slice(1), DEFAULT_RATE_BUDGET.windows.slice(1));
    assert.throws(
      () => resolveSettings({ apiToken: TOKEN }, DYNAMIC_KEYS, { [ENV_VARS.requestsPerFiveMinutes]: "5000" }),
      /streamDownload:requestsPerFiveMinutes \/ STREAM_DOWNLOAD_REQUESTS_PER_5_MIN is "5000"; use a whole number/,
    );
  });

  it("lists each bad setting once for the plugin's CheckConfig, and not missing credentials", () => {
    assert.deepEqual(configFailures({}, {}), []);
    const failures = settingsFailures(
      { baseUrl: "ftp://example.com", requestsPerFiveMinutes: "ten", apiKey: KEY },
      DYNAMIC_KEYS,
      {},
    );
    assert.deepEqual(
      failures.map((f) => f.property),
      ["email", "baseUrl", "requestsPerFiveMinutes"],
    );
    assert.match(failures[1]?.reason ?? "", /must be an http\(s\) URL, not "ftp:"/);
    assert.ok(!JSON.stringify(failures).includes(KEY), "never the key");
    assert.deepEqual(
      configFailures({}, { [ENV_VARS.baseUrl]: "not a url" }).map((f) => f.reason),
      [
        'cloudflare-stream:baseUrl / CLOUDFLARE_BASE_URL is "not a url", which is not a URL; use e.g. ' +
          "https://api.cloudflare.com/client/v4, or unset it.",
      ],
    );
  });
});

describe("settings: each message in full, and the limits of each value", () => {
  const KEYS = {
    apiToken: "p:apiToken",
    apiKey: "p:apiKey",
    email: "p:email",
    baseUrl: "p:baseUrl",
    requestsPerFiveMinutes: "p:requestsPerFiveMinutes",
  };
  const refusal = (configured: Record<string, string>, keys: typeof KEYS | null): string => {
    try {
      resolveSettings(configured, keys, {});
    } catch (error) {
      assert.ok(error instanceof ConfigurationError, String(error));
      return error.message;
    }
    assert.fail("expected a ConfigurationError");
  };

  it("asks for what is missing, naming the caller's keys and the variables", () => {
    assert.equal(
      refusal({ apiKey: KEY }, KEYS),
      "A Cloudflare API key is set but its email is not: set p:email (pulumi config set p:email you@example.com) " +
        "or CLOUDFLARE_EMAIL. An API token (p:apiToken) is preferred.",
    );
    assert.equal(
      refusal({}, KEYS),
      'No Cloudflare credentials: set an API token with "Stream Write" permission as p:apiToken (pulumi config set ' +
        "--secret p:apiToken <token>) or CLOUDFLARE_API_TOKEN; or the legacy p:apiKey and p:email " +
        "(CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL).",
    );
    assert.equal(
      refusal({ apiKey: KEY }, null),
      "A Cloudflare API key is set (CLOUDFLARE_API_KEY) but its email is not: set CLOUDFLARE_EMAIL. An API token " +
        "(CLOUDFLARE_API_TOKEN) is preferred.",
    );
    assert.equal(
      refusal({}, null),
      'No Cloudflare credentials: set CLOUDFLARE_API_TOKEN to an API token with the "Stream Write" permission, or ' +
        "the legacy CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL.",
    );
  });

  it("refuses a base URL with a user name alone, and names the caller's token key in its place", () => {
    assert.equal(
      refusal({ apiToken: TOKEN, baseUrl: "https://someone@example.com/client/v4" }, KEYS),
      "p:baseUrl / CLOUDFLARE_BASE_URL must not hold credentials; use p:apiToken.",
    );
    assert.equal(
      refusal({ apiToken: TOKEN, baseUrl: "https://:hunter2@example.com/client/v4" }, null),
      "CLOUDFLARE_BASE_URL must not hold credentials; use CLOUDFLARE_API_TOKEN.",
    );
  });

  it("takes a request budget from 10 to 1200 a five minutes, and nothing outside", () => {
    const requests = (value: string) =>
      resolveSettings({ apiToken: TOKEN, requestsPerFiveMinutes: value }, KEYS, {}).budget.windows[0]?.requests;
    assert.equal(requests("10"), 10);
    assert.equal(requests("1200"), 1200);
    for (const value of ["9", "1201", "10.5"]) {
      assert.equal(
        refusal({ apiToken: TOKEN, requestsPerFiveMinutes: value }, KEYS),
        `p:requestsPerFiveMinutes / STREAM_DOWNLOAD_REQUESTS_PER_5_MIN is "${value}"; use a whole number from 10 to ` +
          `1200 (Cloudflare's limit per token).`,
      );
    }
  });
});
