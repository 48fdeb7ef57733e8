/**
 * The Pulumi package schema the plugin serves through GetSchema, and the plugin's version. Both files sit at
 * the package root: two folders up from src/native/ in a checkout and from dist/native/ when installed.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** The npm package's version, which is the plugin's version. */
export function pluginVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** schema.json with this plugin's version filled in. */
export function packageSchema(): string {
  const schema = JSON.parse(readFileSync(path.join(ROOT, "schema.json"), "utf8")) as Record<string, unknown>;
  return JSON.stringify({ ...schema, version: pluginVersion() });
}
