/**
 * The Pulumi package schema the plugin serves through GetSchema, and the plugin's version. From the npm package
 * (or a checkout) both come from files at the package root, two folders up from dist/native/ or src/native/;
 * a release bundle carries them inside itself instead (scripts/release/plugin.ts defines
 * STREAM_DOWNLOAD_EMBEDDED when it bundles), because a self-contained binary has no files beside it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Replaced by esbuild's `define` in a release bundle; never bound otherwise. */
declare const STREAM_DOWNLOAD_EMBEDDED: { version: string; schema: Record<string, unknown> } | undefined;

const ROOT = path.resolve(__dirname, "..", "..");

function embedded(): { version: string; schema: Record<string, unknown> } | undefined {
  return typeof STREAM_DOWNLOAD_EMBEDDED === "undefined" ? undefined : STREAM_DOWNLOAD_EMBEDDED;
}

/** The npm package's version, which is the plugin's version. */
export function pluginVersion(): string {
  const built = embedded();
  if (built) return built.version;
  return (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** schema.json with this plugin's version filled in. */
export function packageSchema(): string {
  const schema =
    embedded()?.schema ?? (JSON.parse(readFileSync(path.join(ROOT, "schema.json"), "utf8")) as Record<string, unknown>);
  return JSON.stringify({ ...schema, version: pluginVersion() });
}
