/**
 * The StreamDownload provider as Pulumi serializes it: the module that every resource's state refers to.
 *
 * Pulumi serializes a dynamic provider into each resource's state. When this package is installed under
 * node_modules, the provider (this module's exports) is written as `require("<package>/dist/handler.js")`, so
 * this file must keep its path, and these functions their names, in every version: state written by an older
 * version is read back through it. See docs/upgrading.md.
 *
 * Run from a source checkout instead (the demo, this repo's tests), Pulumi copies these functions by value.
 * Code copied that way loses class inheritance (an Error subclass is no longer an Error), so the functions
 * copy nothing but a `require` of the dynamic face, by absolute path, registering ts-node for a `.ts` file.
 *
 * Each call gets a new, stateless provider: credentials and the rate limiter live in process-wide registries,
 * never in a captured variable.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "./core/types";
import type * as dynamic from "./dynamic/provider";

const FACE_FILE = require.resolve("./dynamic/provider");
/** ts-node, to load `provider.ts` when running from source; resolved where the program runs. */
const TS_NODE = FACE_FILE.endsWith(".ts") ? require.resolve("ts-node") : "";

function provider(): dynamic.StreamDownloadProvider {
  if (TS_NODE && !(process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")]) {
    require(TS_NODE).register({ transpileOnly: true });
  }
  const face = require(FACE_FILE) as typeof dynamic;
  return new face.StreamDownloadProvider();
}

type In = StreamDownloadInputs;
type Out = StreamDownloadOutputs;

/** Reads the stack config's Cloudflare keys. */
export function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  return provider().configure(req);
}

/** Validates inputs and fills defaults. */
export function check(olds: In, news: In): Promise<pulumi.dynamic.CheckResult<In>> {
  return provider().check(olds, news);
}

/** Decides between no change, an update in place, and a replacement. */
export function diff(id: string, olds: Out, news: In): Promise<pulumi.dynamic.DiffResult> {
  return provider().diff(id, olds, news);
}

/** Creates (or adopts) the downloads and waits for them. */
export function create(inputs: In): Promise<pulumi.dynamic.CreateResult<Out>> {
  return provider().create(inputs);
}

/** Reads the live state for refresh. */
export function read(id: string, props?: Out): Promise<pulumi.dynamic.ReadResult<Out>> {
  return provider().read(id, props);
}

/** Adds and removes download types in place. */
export function update(id: string, olds: Out, news: In): Promise<pulumi.dynamic.UpdateResult<Out>> {
  return provider().update(id, olds, news);
}

/** Deletes the managed downloads. */
function remove(id: string, props: Out): Promise<void> {
  return provider().delete(id, props);
}
export { remove as delete };
