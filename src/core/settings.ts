/**
 * Where a request's credentials, endpoint and budget come from, resolved here for every caller: the face's
 * provider config first (stack config for the dynamic resource, the provider's own config for the plugin), then
 * environment variables read at call time; the live check reads the environment alone. Error messages name the
 * keys of the caller in use, never a credential.
 */
import { createHash } from "node:crypto";
import { type Credentials, DEFAULT_BASE_URL } from "./client";
import { ConfigurationError } from "./errors";
import { DEFAULT_RATE_BUDGET, type RateBudget } from "./limiter";

/** Environment variables read when the provider config does not say. */
export const ENV_VARS = {
  apiToken: "CLOUDFLARE_API_TOKEN",
  apiKey: "CLOUDFLARE_API_KEY",
  email: "CLOUDFLARE_EMAIL",
  baseUrl: "CLOUDFLARE_BASE_URL",
  requestsPerFiveMinutes: "STREAM_DOWNLOAD_REQUESTS_PER_5_MIN",
} as const;

/** The settings a user can give. */
export type SettingName = keyof typeof ENV_VARS;

/** Raw values from provider config; each may be absent. */
export type ConfiguredValues = Partial<Record<SettingName, string>>;

/**
 * How a face names each setting in its config, for messages (e.g. `cloudflare:apiToken`); `null` for a caller
 * that reads the environment alone (the live check), whose messages then name the environment variables only.
 */
export type ConfigKeyNames = Record<SettingName, string>;

type Keys = ConfigKeyNames | null;

/** A setting as a message names it: `cloudflare:baseUrl / CLOUDFLARE_BASE_URL`, or the variable alone. */
function nameOf(keys: Keys, name: SettingName): string {
  return keys ? `${keys[name]} / ${ENV_VARS[name]}` : ENV_VARS[name];
}

/** What a request needs, resolved. */
export interface ResolvedSettings {
  credentials: Credentials;
  baseUrl: string;
  budget: RateBudget;
}

/**
 * What identifies a credential and endpoint among what the process shares between resources (the rate limiter,
 * the gathered video reads, the learned generation rates): a fingerprint, never the credential itself.
 */
export function credentialKey(settings: Pick<ResolvedSettings, "baseUrl" | "credentials">): string {
  const c = settings.credentials;
  const secret = c.kind === "token" ? c.token : `${c.email}:${c.apiKey}`;
  return createHash("sha256").update(`${settings.baseUrl}\n${secret}`).digest("hex").slice(0, 16);
}

/**
 * Resolves credentials, endpoint and request budget: provider config first, then the environment.
 * A token wins over a key pair. Throws a ConfigurationError (naming keys, never values) when
 * there is no usable credential, so no request is sent.
 */
export function resolveSettings(
  configured: ConfiguredValues,
  keys: Keys,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings {
  const pick = picker(configured, env);
  return {
    credentials: resolveCredentials(keys, pick("apiToken"), pick("apiKey"), pick("email")),
    baseUrl: resolveBaseUrl(keys, pick("baseUrl")),
    budget: resolveBudget(keys, pick("requestsPerFiveMinutes")),
  };
}

/** Reads one setting: the configured value, else its environment variable; empty counts as unset. */
function picker(configured: ConfiguredValues, env: NodeJS.ProcessEnv): (name: SettingName) => string | undefined {
  return (name) => {
    const fromConfig = configured[name];
    if (fromConfig !== undefined) return fromConfig;
    const fromEnv = env[ENV_VARS[name]]?.trim();
    return fromEnv ? fromEnv : undefined;
  };
}

/**
 * Problems with the configured values (falling back to the environment as requests do), one per setting, in
 * the words of `resolveSettings`. Missing credentials are not a problem here (a stack may be previewed without
 * any); requests report them. Messages name keys, never a credential.
 */
export function settingsFailures(
  configured: ConfiguredValues,
  keys: ConfigKeyNames,
  env: NodeJS.ProcessEnv = process.env,
): { property: SettingName; reason: string }[] {
  const pick = picker(configured, env);
  const failures: { property: SettingName; reason: string }[] = [];
  const check = (property: SettingName, resolve: () => unknown): void => {
    try {
      resolve();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      failures.push({ property, reason: error.message });
    }
  };
  // Each setting is checked alone.
  if (pick("apiKey") && !pick("apiToken")) {
    check("email", () => resolveCredentials(keys, undefined, pick("apiKey"), pick("email")));
  }
  const baseUrl = pick("baseUrl");
  if (baseUrl) check("baseUrl", () => resolveBaseUrl(keys, baseUrl));
  const budget = pick("requestsPerFiveMinutes");
  if (budget) check("requestsPerFiveMinutes", () => resolveBudget(keys, budget));
  return failures;
}

function resolveCredentials(keys: Keys, token?: string, apiKey?: string, email?: string): Credentials {
  if (token) return { kind: "token", token };
  if (apiKey && email) return { kind: "key", apiKey, email };
  if (!keys) {
    throw new ConfigurationError(
      apiKey
        ? `A Cloudflare API key is set (${ENV_VARS.apiKey}) but its email is not: set ${ENV_VARS.email}. An API ` +
            `token (${ENV_VARS.apiToken}) is preferred.`
        : `No Cloudflare credentials: set ${ENV_VARS.apiToken} to an API token with the "Stream Write" ` +
            `permission, or the legacy ${ENV_VARS.apiKey} and ${ENV_VARS.email}.`,
    );
  }
  if (apiKey) {
    throw new ConfigurationError(
      `A Cloudflare API key is set but its email is not: set ${keys.email} ` +
        `(pulumi config set ${keys.email} you@example.com) or ${ENV_VARS.email}. ` +
        `An API token (${keys.apiToken}) is preferred.`,
    );
  }
  throw new ConfigurationError(
    `No Cloudflare credentials: set an API token with "Stream Write" permission as ` +
      `${keys.apiToken} (pulumi config set --secret ${keys.apiToken} <token>) or ` +
      `${ENV_VARS.apiToken}; or the legacy ${keys.apiKey} and ${keys.email} ` +
      `(${ENV_VARS.apiKey} and ${ENV_VARS.email}).`,
  );
}

function resolveBaseUrl(keys: Keys, value?: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${nameOf(keys, "baseUrl")} is "${value}", which is not a URL; ` + `use e.g. ${DEFAULT_BASE_URL}, or unset it.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError(`${nameOf(keys, "baseUrl")} must be an http(s) URL, not "${url.protocol}".`);
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      `${nameOf(keys, "baseUrl")} must not hold credentials; use ${keys?.apiToken ?? ENV_VARS.apiToken}.`,
    );
  }
  return value.replace(/\/+$/, "");
}

function resolveBudget(keys: Keys, value?: string): RateBudget {
  if (value === undefined) return DEFAULT_RATE_BUDGET;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 1200) {
    throw new ConfigurationError(
      `${nameOf(keys, "requestsPerFiveMinutes")} is "${value}"; ` +
        `use a whole number from 10 to 1200 (Cloudflare's limit per token).`,
    );
  }
  const [fiveMinutes, ...others] = DEFAULT_RATE_BUDGET.windows;
  return {
    ...DEFAULT_RATE_BUDGET,
    windows: [{ ...(fiveMinutes ?? { windowMs: 300_000 }), requests: n }, ...others],
  };
}
