/**
 * An HTTP server on 127.0.0.1 that closes at once: it keeps its sockets (hung ones included) and its timers, so
 * that `close` ends everything. The emulator's API and its delivery server each run on one.
 */
import http from "node:http";
import type { Socket } from "node:net";

/** A local HTTP server with its sockets and timers. */
export class LocalServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private boundPort = 0;
  private closing: Promise<void> | undefined;

  constructor(handler: http.RequestListener) {
    this.server = http.createServer(handler);
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** The port it listens on (0 before `listen`). */
  get port(): number {
    return this.boundPort;
  }

  /** Whether `close` was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Starts listening on 127.0.0.1 and `port` (0 picks a free one). */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        const address = this.server.address();
        this.boundPort = typeof address === "object" && address !== null ? address.port : port;
        resolve();
      });
    });
  }

  /** Stops the server, its timers and every socket; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  /** Waits `ms`; `close` cancels the wait (it then never resolves, as its request is gone). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
