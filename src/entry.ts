/**
 * The module that serialized state refers to. When this package is installed under node_modules, Pulumi
 * writes `require("<package>/dist/entry.js")` into every StreamDownload's state instead of the provider's
 * code, so this file must keep its path (and `provider` its name) across versions: state written by an older
 * version is read back through it. See "Upgrading" in the README.
 */
import { StreamDownloadProvider } from "./provider";

/**
 * The provider the shared `streamDownloadProvider` delegates to. A new, stateless instance each call:
 * credentials and the rate limiter live in process-wide registries, never in a captured variable.
 */
export function provider(): StreamDownloadProvider {
  return new StreamDownloadProvider();
}
