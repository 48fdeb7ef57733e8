/**
 * The plugin's provider configuration: `cloudflare-stream:apiToken` (secret), `apiKey` + `email` (both secret),
 * `baseUrl` and `requestsPerFiveMinutes`, each falling back to its environment variable.
 *
 * Every provider instance (the default one, and each explicit `pulumi:providers:cloudflare-stream`) is a
 * process of its own, so the values read by Configure simply live in that process's plugin object.
 */
import {
  type ConfigKeyNames,
  type ConfiguredValues,
  ENV_VARS,
  resolveSettings,
  type ResolvedSettings,
  type SettingName,
  settingsFailures,
} from "../core/settings";
import { isSecret, type PropertyMap, secret, UNKNOWN } from "./property-map";

/** The Pulumi package name: config keys are `cloudflare-stream:<key>`. */
export const PACKAGE = "cloudflare-stream";

/** The provider's config keys, in the order the schema lists them. */
export const CONFIG_NAMES = [
  "apiToken",
  "apiKey",
  "email",
  "baseUrl",
  "requestsPerFiveMinutes",
] as const satisfies readonly SettingName[];

/** How messages name each setting. */
export const CONFIG_KEYS = Object.fromEntries(
  CONFIG_NAMES.map((name) => [name, `${PACKAGE}:${name}`]),
) as ConfigKeyNames;

/**
 * Config keys whose values are credentials: always secret, never echoed. The email is half of the key pair and
 * names the account's owner, so it is kept out of state in plain text too.
 */
export const SECRET_CONFIG: ReadonlySet<string> = new Set<SettingName>(["apiToken", "apiKey", "email"]);

/** Where the plugin reads its token: said with every authentication error. */
export const NATIVE_CREDENTIAL_HINT =
  `The token comes from ${CONFIG_KEYS.apiToken} (or the apiToken of an explicit provider), else ` +
  `${ENV_VARS.apiToken}.`;

/**
 * Said besides with an authentication error of a refresh, an update or a destroy. The engine records each
 * provider's config in state, and refresh and destroy configure the provider from that record: a rotated token
 * reaches them after an up.
 */
export const NATIVE_ROTATION_HINT =
  "If you rotated it, run pulumi up once with the new token, then refresh or destroy.";

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

/** Problems with the configured values (see `settingsFailures`), named by this package's keys. */
export function configFailures(
  configured: ConfiguredValues,
  env: NodeJS.ProcessEnv = process.env,
): { property: string; reason: string }[] {
  return settingsFailures(configured, CONFIG_KEYS, env);
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
  return resolveSettings(configured, CONFIG_KEYS, env);
}
