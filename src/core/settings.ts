/**
 * Where a request's credentials, endpoint and budget come from: the face's provider config first (stack config
 * for the dynamic resource, the provider's own config for the plugin), then environment variables read at call
 * time. Error messages name the keys of the face in use, never a value.
 */
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

/** How a face names each setting in its config, for messages (e.g. `cloudflare:apiToken`). */
export type ConfigKeyNames = Record<SettingName, string>;

/** What a request needs, resolved. */
export interface ResolvedSettings {
  credentials: Credentials;
  baseUrl: string;
  budget: RateBudget;
}

/**
 * Resolves credentials, endpoint and request budget: provider config first, then the environment.
 * A token wins over a key pair. Throws a ConfigurationError (naming keys, never values) when
 * there is no usable credential, so no request is sent.
 */
export function resolveSettings(
  configured: ConfiguredValues,
  keys: ConfigKeyNames,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSettings {
  const pick = (name: SettingName): string | undefined => {
    const fromConfig = configured[name];
    if (fromConfig !== undefined) return fromConfig;
    const fromEnv = env[ENV_VARS[name]]?.trim();
    return fromEnv ? fromEnv : undefined;
  };

  return {
    credentials: resolveCredentials(keys, pick("apiToken"), pick("apiKey"), pick("email")),
    baseUrl: resolveBaseUrl(keys, pick("baseUrl")),
    budget: resolveBudget(keys, pick("requestsPerFiveMinutes")),
  };
}

function resolveCredentials(keys: ConfigKeyNames, token?: string, apiKey?: string, email?: string): Credentials {
  if (token) return { kind: "token", token };
  if (apiKey && email) return { kind: "key", apiKey, email };
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

function resolveBaseUrl(keys: ConfigKeyNames, value?: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${keys.baseUrl} / ${ENV_VARS.baseUrl} is "${value}", which is not a URL; ` +
        `use e.g. ${DEFAULT_BASE_URL}, or unset it.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError(
      `${keys.baseUrl} / ${ENV_VARS.baseUrl} must be an http(s) URL, not "${url.protocol}".`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      `${keys.baseUrl} / ${ENV_VARS.baseUrl} must not hold credentials; use ${keys.apiToken}.`,
    );
  }
  return value.replace(/\/+$/, "");
}

function resolveBudget(keys: ConfigKeyNames, value?: string): RateBudget {
  if (value === undefined) return DEFAULT_RATE_BUDGET;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 1200) {
    throw new ConfigurationError(
      `${keys.requestsPerFiveMinutes} / ${ENV_VARS.requestsPerFiveMinutes} is "${value}"; ` +
        `use a whole number from 10 to 1200 (Cloudflare's limit per token).`,
    );
  }
  const [fiveMinutes, ...others] = DEFAULT_RATE_BUDGET.windows;
  return {
    ...DEFAULT_RATE_BUDGET,
    windows: [{ ...(fiveMinutes ?? { windowMs: 300_000 }), requests: n }, ...others],
  };
}
