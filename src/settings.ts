/**
 * Where the provider's credentials and endpoint come from: the stack config that @pulumi/cloudflare
 * uses (so users configure once), else environment variables read at call time.
 *
 * Configured values are kept on `globalThis` under a fixed key, never in a module variable:
 * Pulumi serializes the provider's closures (and, when this package is not under node_modules, its
 * module variables) into every resource's state, and a global is never captured.
 */
import { type Credentials, DEFAULT_BASE_URL } from "./client";
import { ConfigurationError } from "./errors";
import { DEFAULT_RATE_BUDGET, type RateBudget } from "./limiter";

/** Stack config keys read by `configure`. */
export const CONFIG_KEYS = {
  apiToken: "cloudflare:apiToken",
  apiKey: "cloudflare:apiKey",
  email: "cloudflare:email",
  baseUrl: "cloudflare:baseUrl",
  requestsPerFiveMinutes: "streamDownload:requestsPerFiveMinutes",
} as const;

/** Environment variables read when the stack config does not say. */
export const ENV_VARS = {
  apiToken: "CLOUDFLARE_API_TOKEN",
  apiKey: "CLOUDFLARE_API_KEY",
  email: "CLOUDFLARE_EMAIL",
  baseUrl: "CLOUDFLARE_BASE_URL",
  requestsPerFiveMinutes: "STREAM_DOWNLOAD_REQUESTS_PER_5_MIN",
} as const;

type SettingName = keyof typeof CONFIG_KEYS;

/** Raw values from stack config; each may be absent. */
export type ConfiguredValues = Partial<Record<SettingName, string>>;

/** What a request needs, resolved. */
export interface ResolvedSettings {
  credentials: Credentials;
  baseUrl: string;
  budget: RateBudget;
}

// A string key, not a Symbol: Pulumi's closure serializer cannot capture symbols.
const STORE = "__pulumiCloudflareStreamDownloadConfigured";

type Store = { [STORE]?: ConfiguredValues };

/** Keeps the values `configure` read from stack config, for this process only. */
export function storeConfigured(values: ConfiguredValues): void {
  (globalThis as Store)[STORE] = values;
}

/** Forgets configured values (for tests). */
export function clearConfigured(): void {
  delete (globalThis as Store)[STORE];
}

/** Reads our keys from a Pulumi config object; empty strings count as unset. */
export function readConfig(config: { get(key: string): string | undefined }): ConfiguredValues {
  const values: ConfiguredValues = {};
  for (const name of Object.keys(CONFIG_KEYS) as SettingName[]) {
    const value = config.get(CONFIG_KEYS[name]);
    if (typeof value === "string" && value.trim() !== "") values[name] = value.trim();
  }
  return values;
}

/**
 * Resolves credentials, endpoint and request budget: stack config first, then the environment.
 * A token wins over a key pair. Throws a ConfigurationError (naming keys, never values) when
 * there is no usable credential, so no request is sent.
 */
export function resolveSettings(
  configured: ConfiguredValues = (globalThis as Store)[STORE] ?? {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings {
  const pick = (name: SettingName): string | undefined => {
    const fromConfig = configured[name];
    if (fromConfig !== undefined) return fromConfig;
    const fromEnv = env[ENV_VARS[name]]?.trim();
    return fromEnv ? fromEnv : undefined;
  };

  return {
    credentials: resolveCredentials(pick("apiToken"), pick("apiKey"), pick("email")),
    baseUrl: resolveBaseUrl(pick("baseUrl")),
    budget: resolveBudget(pick("requestsPerFiveMinutes")),
  };
}

function resolveCredentials(token?: string, apiKey?: string, email?: string): Credentials {
  if (token) return { kind: "token", token };
  if (apiKey && email) return { kind: "key", apiKey, email };
  if (apiKey) {
    throw new ConfigurationError(
      `A Cloudflare API key is set but its email is not: set ${CONFIG_KEYS.email} ` +
        `(pulumi config set ${CONFIG_KEYS.email} you@example.com) or ${ENV_VARS.email}. ` +
        `An API token (${CONFIG_KEYS.apiToken}) is preferred.`,
    );
  }
  throw new ConfigurationError(
    `No Cloudflare credentials: set an API token with "Stream Write" permission as ` +
      `${CONFIG_KEYS.apiToken} (pulumi config set --secret ${CONFIG_KEYS.apiToken} <token>) or ` +
      `${ENV_VARS.apiToken}; or the legacy ${CONFIG_KEYS.apiKey} and ${CONFIG_KEYS.email} ` +
      `(${ENV_VARS.apiKey} and ${ENV_VARS.email}).`,
  );
}

function resolveBaseUrl(value?: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${CONFIG_KEYS.baseUrl} / ${ENV_VARS.baseUrl} is "${value}", which is not a URL; ` +
        `use e.g. ${DEFAULT_BASE_URL}, or unset it.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError(
      `${CONFIG_KEYS.baseUrl} / ${ENV_VARS.baseUrl} must be an http(s) URL, not "${url.protocol}".`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      `${CONFIG_KEYS.baseUrl} / ${ENV_VARS.baseUrl} must not hold credentials; use ${CONFIG_KEYS.apiToken}.`,
    );
  }
  return value.replace(/\/+$/, "");
}

function resolveBudget(value?: string): RateBudget {
  if (value === undefined) return DEFAULT_RATE_BUDGET;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 1200) {
    throw new ConfigurationError(
      `${CONFIG_KEYS.requestsPerFiveMinutes} / ${ENV_VARS.requestsPerFiveMinutes} is "${value}"; ` +
        `use a whole number from 10 to 1200 (Cloudflare's limit per token).`,
    );
  }
  const [fiveMinutes, ...others] = DEFAULT_RATE_BUDGET.windows;
  return {
    ...DEFAULT_RATE_BUDGET,
    windows: [{ ...(fiveMinutes ?? { windowMs: 300_000 }), requests: n }, ...others],
  };
}
