/**
 * The plugin's provider configuration: `cloudflare-stream:apiToken` (secret), `apiKey` (secret) + `email`,
 * `baseUrl` and `requestsPerFiveMinutes`, each falling back to its environment variable.
 *
 * Every provider instance (the default one, and each explicit `pulumi:providers:cloudflare-stream`) is a
 * process of its own, so the values read by Configure simply live in that process's `NativeConfig`.
 */
import { type ConfiguredValues, ENV_VARS, resolveSettings, type ResolvedSettings } from "../settings";
import { ConfigurationError } from "../errors";
import { isSecret, type PropertyMap, secret, UNKNOWN } from "./values";

/** The Pulumi package name: config keys are `cloudflare-stream:<key>`. */
export const PACKAGE = "cloudflare-stream";

/** The provider's config keys, in the order the schema lists them. */
export const CONFIG_NAMES = ["apiToken", "apiKey", "email", "baseUrl", "requestsPerFiveMinutes"] as const;
type ConfigName = (typeof CONFIG_NAMES)[number];

/** Config keys whose values are credentials: always secret, never echoed. */
export const SECRET_CONFIG: ReadonlySet<string> = new Set<ConfigName>(["apiToken", "apiKey"]);

function key(name: ConfigName): string {
  return `${PACKAGE}:${name}`;
}

/**
 * Reads our keys from a provider's inputs (`args`, values possibly secret-wrapped) and, for keys absent there,
 * from the `variables` map (`cloudflare-stream:config:<key>`). Unknown, empty or non-scalar values count as unset.
 */
export function readConfigured(
  args: PropertyMap | undefined,
  variables: ReadonlyMap<string, string>,
): ConfiguredValues {
  const out: ConfiguredValues = {};
  for (const name of CONFIG_NAMES) {
    let value = args?.[name];
    if (isSecret(value)) value = value.value;
    if (value === undefined || value === null) value = variables.get(`${PACKAGE}:config:${name}`);
    if ((typeof value === "string" && value !== UNKNOWN) || typeof value === "number") {
      const text = String(value).trim();
      if (text !== "") out[name] = text;
    }
  }
  return out;
}

/**
 * Problems with the configured values (falling back to the environment as requests do), one per key. Messages
 * name the key and what to do; they never contain a credential. Missing credentials are not a problem here (a
 * stack may be previewed without them); `settingsFor` reports them at the first request.
 */
export function configFailures(
  configured: ConfiguredValues,
  env: NodeJS.ProcessEnv = process.env,
): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const pick = (name: ConfigName) => configured[name] ?? (env[ENV_VARS[name]]?.trim() || undefined);
  const where = (name: ConfigName) => `${key(name)} (or ${ENV_VARS[name]})`;

  if (pick("apiKey") && !pick("apiToken") && !pick("email")) {
    failures.push({
      property: "email",
      reason:
        `A Cloudflare API key is set but not its email: set ${key("email")} ` +
        `(pulumi config set ${key("email")} you@example.com) or ${ENV_VARS.email}. ` +
        `An API token (${key("apiToken")}) is preferred.`,
    });
  }
  const baseUrl = pick("baseUrl");
  if (baseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    const problem =
      url === undefined
        ? `is "${baseUrl}", which is not a URL`
        : url.protocol !== "https:" && url.protocol !== "http:"
          ? `must be an http(s) URL, not "${url.protocol}"`
          : url.username || url.password
            ? `must not hold credentials (put the token in ${key("apiToken")})`
            : undefined;
    if (problem) {
      failures.push({
        property: "baseUrl",
        reason: `${where("baseUrl")} ${problem}; use e.g. https://api.cloudflare.com/client/v4, or unset it.`,
      });
    }
  }
  const budget = pick("requestsPerFiveMinutes");
  if (budget !== undefined) {
    const n = Number(budget);
    if (!Number.isInteger(n) || n < 10 || n > 1200) {
      failures.push({
        property: "requestsPerFiveMinutes",
        reason: `${where("requestsPerFiveMinutes")} is "${budget}"; use a whole number from 10 to 1200 (Cloudflare's limit per token).`,
      });
    }
  }
  return failures;
}

/** What CheckConfig returns as the provider's inputs: the same values, credentials marked secret. */
export function withSecretCredentials(news: PropertyMap): PropertyMap {
  const out: PropertyMap = { ...news };
  for (const name of SECRET_CONFIG) {
    if (out[name] !== undefined && out[name] !== null) out[name] = secret(out[name]);
  }
  return out;
}

/** Resolves the settings for a request; throws a ConfigurationError naming this package's keys. */
export function settingsFor(configured: ConfiguredValues, env: NodeJS.ProcessEnv = process.env): ResolvedSettings {
  const failures = configFailures(configured, env);
  const has = (name: ConfigName) => Boolean(configured[name] ?? env[ENV_VARS[name]]?.trim());
  if (!has("apiToken") && !has("apiKey")) {
    failures.unshift({
      property: "apiToken",
      reason:
        `No Cloudflare credentials: set an API token with "Stream Write" permission as ${key("apiToken")} ` +
        `(pulumi config set --secret ${key("apiToken")} <token>, or the apiToken of an explicit provider) or ` +
        `${ENV_VARS.apiToken}; or the legacy ${key("apiKey")} and ${key("email")} ` +
        `(${ENV_VARS.apiKey} and ${ENV_VARS.email}).`,
    });
  }
  if (failures.length > 0) throw new ConfigurationError(failures.map((f) => f.reason).join(" "));
  return resolveSettings(configured, env);
}
