/**
 * Progress lines sent to the engine's Log RPC with the resource's URN, so `pulumi up` shows them on the
 * StreamDownload's own row. (A plugin's stderr is not shown at all.)
 */
import * as grpc from "@grpc/grpc-js";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";

/** Sends log lines to the engine; without an engine address (a bare run), writes them to stderr. */
export class EngineLog {
  private client?: EngineClient;
  private readonly pending = new Set<Promise<void>>();

  constructor(private address?: string) {}

  /** Points at another engine address (from Attach). */
  attach(address: string): void {
    this.client?.close();
    this.client = undefined;
    this.address = address;
  }

  /**
   * Logs `line` against `urn` at info severity; a passing status (superseded by the next one) is ephemeral, so
   * `pulumi up` shows it on the resource's row without keeping it. Never throws.
   */
  log(urn: string, line: string, passing = false): void {
    const client = this.engine();
    if (!client) {
      process.stderr.write(`${line}\n`);
      return;
    }
    const req = new LogRequest().setSeverity(LogSeverity.INFO).setMessage(line).setUrn(urn).setEphemeral(passing);
    const sent = new Promise<void>((resolve) => {
      client.log(req, (error) => {
        if (error) process.stderr.write(`could not send a log line to the engine: ${error.message}\n`);
        resolve();
      });
    });
    this.pending.add(sent);
    void sent.then(() => this.pending.delete(sent));
  }

  /** Resolves once every line logged so far reached the engine (or failed to). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private engine(): EngineClient | undefined {
    if (!this.address) return undefined;
    this.client ??= new EngineClient(this.address, grpc.credentials.createInsecure());
    return this.client;
  }
}
