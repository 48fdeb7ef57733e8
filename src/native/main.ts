#!/usr/bin/env node
/**
 * pulumi-resource-cloudflare-stream: the provider plugin the Pulumi engine starts for the `cloudflare-stream`
 * package. It prints its gRPC port on stdout, as the engine expects, and serves until the engine stops it.
 */
import { serve } from "./server";

/** The engine's address: the first argument that is not one of the flags the engine may put before it. */
function engineAddress(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--tracing") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

serve({ engineAddress: engineAddress(process.argv.slice(2)) }).then(
  ({ port }) => process.stdout.write(`${port}\n`),
  (error: unknown) => {
    process.stderr.write(`pulumi-resource-cloudflare-stream: could not start: ${String(error)}\n`);
    process.exit(1);
  },
);
