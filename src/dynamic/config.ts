/**
 * The dynamic resource's settings: the stack config that @pulumi/cloudflare uses (so users configure once),
 * read by `configure`, else environment variables at call time.
 *
 * Configured values are kept on `globalThis` under a fixed key, never in a module variable: Pulumi serializes
 * the provider's closures (and, when this package is not under node_modules, its module variables) into every
 * resource's state, and a global is never captured.
 */
import { type ConfigKeyNames, type ConfiguredValues, resolveSettings, type ResolvedSettings } from "../core/settings";

/** Stack config keys read by `configure`. */
export const CONFIG_KEYS = {
  apiToken: "cloudflare:apiToken",
  apiKey: "cloudflare:apiKey",
  email: "cloudflare:email",
  baseUrl: "cloudflare:baseUrl",
  requestsPerFiveMinutes: "streamDownload:requestsPerFiveMinutes",
} as const satisfies ConfigKeyNames;

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
  for (const name of Object.keys(CONFIG_KEYS) as Array<keyof typeof CONFIG_KEYS>) {
    const value = config.get(CONFIG_KEYS[name]);
    if (typeof value === "string" && value.trim() !== "") values[name] = value.trim();
  }
  return values;
}

/** The settings of a request now: configured stack config first, then the environment. */
export function currentSettings(env: NodeJS.ProcessEnv = process.env): ResolvedSettings {
  return resolveSettings((globalThis as Store)[STORE] ?? {}, CONFIG_KEYS, env);
}
