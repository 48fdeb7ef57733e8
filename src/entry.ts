/**
 * What the provider delegates to: handler.ts (the module that state refers to) loads this one when called.
 */
import { StreamDownloadProvider } from "./provider";

/**
 * The provider the shared `streamDownloadProvider` delegates to. A new, stateless instance each call:
 * credentials and the rate limiter live in process-wide registries, never in a captured variable.
 */
export function provider(): StreamDownloadProvider {
  return new StreamDownloadProvider();
}
