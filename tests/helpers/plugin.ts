/**
 * The native provider plugin from this checkout, as the engine (or a test) starts it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type IResourceProviderClient, ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { REPO } from "../../scripts/engine";

export const PLUGIN = "pulumi-resource-cloudflare-stream";

/**
 * A temp folder holding a `pulumi-resource-cloudflare-stream` launcher that runs src/native/main.ts with
 * ts-node, for PATH: the way the engine finds an installed plugin. Call `dispose` when done.
 */
export function pluginBinDir(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "sd-plugin-bin-"));
  const launcher = path.join(dir, PLUGIN);
  writeFileSync(
    launcher,
    [
      "#!/bin/sh",
      `export TS_NODE_PROJECT='${path.join(REPO, "tsconfig.json")}'`,
      `exec node -r '${path.join(REPO, "node_modules", "ts-node", "register", "transpile-only")}' ` +
        `'${path.join(REPO, "src", "native", "main.ts")}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(launcher, 0o755);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A running plugin process and a gRPC client connected to it. */
export interface RunningPlugin {
  client: ResourceProviderClient;
  process: ChildProcess;
  /** Everything the plugin wrote to stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the launcher from `binDir` as the engine does (args: engine address) and connects to its port. */
export async function startPlugin(
  binDir: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningPlugin> {
  const child = spawn(path.join(binDir, PLUGIN), args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve(Number(line.trim()));
    });
    child.once("exit", (code) => reject(new Error(`plugin exited with ${code} before printing its port: ${err}`)));
  });
  const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    client,
    process: child,
    stderr: () => err,
    stop: async () => {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** The request and response types of a unary client method (read from its last, fullest overload). */
type Unary<F> = F extends (
  req: infer Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, res: infer Res) => void,
) => grpc.ClientUnaryCall
  ? { req: Req; res: Res }
  : never;
type Method = Exclude<keyof IResourceProviderClient, "list">;

/** Calls a unary method of the plugin's gRPC client as a promise. */
export function call<K extends Method>(
  client: ResourceProviderClient,
  method: K,
  req: Unary<IResourceProviderClient[K]>["req"],
): Promise<Unary<IResourceProviderClient[K]>["res"]> {
  const fn = client[method] as unknown as (
    req: unknown,
    cb: (error: grpc.ServiceError | null, res: unknown) => void,
  ) => void;
  return new Promise((resolve, reject) =>
    fn.call(client, req, (error, res) =>
      error ? reject(error) : resolve(res as Unary<IResourceProviderClient[K]>["res"]),
    ),
  );
}
