/**
 * The two faces of the core, driven the same way, so that one behaviour suite runs against each: the dynamic
 * provider (called directly, as the dynamic-provider process calls it) and the provider plugin (over real gRPC,
 * configured through Configure, its progress lines received by a stand-in for the engine's Log service).
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import type { LogRequest } from "@pulumi/pulumi/proto/engine_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import {
  CheckRequest,
  ConfigureRequest,
  CreateRequest,
  DeleteRequest,
  DiffRequest,
  DiffResponse,
  ReadRequest,
  UpdateRequest,
} from "@pulumi/pulumi/proto/provider_pb";
import type { CheckOutcome, DiffOutcome, OperationOptions, ReadOutcome } from "../../src/core/operations";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../../src/core/types";
import type { Emulator } from "../../src/emulator";
import { serve, STREAM_DOWNLOAD } from "../../src/native/server";
import { FAST_POLL, providerFor, TOKEN } from "./fixtures";
import { call } from "./plugin";

/** What the behaviour suite calls, in the dynamic provider's shape, and the progress lines it logged. */
export interface FaceProvider {
  check(olds: StreamDownloadInputs, news: StreamDownloadInputs): Promise<CheckOutcome>;
  diff(id: string, olds: StreamDownloadOutputs, news: StreamDownloadInputs): Promise<DiffOutcome>;
  create(inputs: StreamDownloadInputs): Promise<{ id: string; outs: StreamDownloadOutputs }>;
  read(id: string, props?: StreamDownloadOutputs): Promise<ReadOutcome>;
  update(id: string, olds: StreamDownloadOutputs, news: StreamDownloadInputs): Promise<{ outs: StreamDownloadOutputs }>;
  delete(id: string, props: StreamDownloadOutputs): Promise<void>;
  lines: string[];
}

/** A way of reaching the core. `provider` makes one wired to the emulator; `close` frees what it started. */
export interface Face {
  name: "dynamic" | "plugin";
  provider(emulator: Emulator, deps?: Omit<OperationOptions, "log" | "settings">): Promise<FaceProvider>;
  close(): Promise<void>;
}

/** The dynamic resource's provider, called directly. */
export function dynamicFace(): Face {
  return {
    name: "dynamic",
    provider: async (emulator, deps = {}) => {
      const p = providerFor(emulator, deps);
      return Object.assign(
        {
          check: (o: StreamDownloadInputs, n: StreamDownloadInputs) => p.check(o, n) as Promise<CheckOutcome>,
          diff: (id: string, o: StreamDownloadOutputs, n: StreamDownloadInputs) =>
            p.diff(id, o, n) as Promise<DiffOutcome>,
          create: (i: StreamDownloadInputs) => p.create(i) as Promise<{ id: string; outs: StreamDownloadOutputs }>,
          read: (id: string, props?: StreamDownloadOutputs) => p.read(id, props) as Promise<ReadOutcome>,
          update: (id: string, o: StreamDownloadOutputs, n: StreamDownloadInputs) =>
            p.update(id, o, n) as Promise<{ outs: StreamDownloadOutputs }>,
          delete: (id: string, props: StreamDownloadOutputs) => p.delete(id, props),
        },
        { lines: p.lines },
      );
    },
    close: async () => undefined,
  };
}

const URN = `urn:pulumi:test::behaviour::${STREAM_DOWNLOAD}::talk`;

/** A Struct of plain values, as the engine sends them (no `undefined` members). */
function struct(value: object): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Parameters<typeof Struct.fromJavaScript>[0]);
}

/** Calls one unary method; a gRPC error becomes an Error with the plugin's message, as the engine shows it. */
async function rpc<K extends Parameters<typeof call>[1]>(
  client: ResourceProviderClient,
  method: K,
  req: Parameters<typeof call<K>>[2],
): ReturnType<typeof call<K>> {
  try {
    return await call(client, method, req);
  } catch (error) {
    throw new Error((error as grpc.ServiceError).details);
  }
}

/** The provider plugin in this process, served over loopback gRPC, one server per provider. */
export function pluginFace(): Face {
  const running: Array<() => void> = [];
  return {
    name: "plugin",
    provider: async (emulator, deps = {}) => {
      const lines: string[] = [];
      const engine = new grpc.Server();
      engine.addService(EngineService, {
        log: (call: grpc.ServerUnaryCall<LogRequest, Empty>, callback: grpc.sendUnaryData<Empty>) => {
          if (call.request.getUrn() === URN) lines.push(call.request.getMessage());
          callback(null, new Empty());
        },
      });
      const enginePort = await new Promise<number>((resolve, reject) =>
        engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      const { port, server } = await serve({
        engineAddress: `127.0.0.1:${enginePort}`,
        env: {}, // credentials come through Configure only
        operations: {
          client: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, attemptTimeoutMs: 1000 },
          poll: FAST_POLL,
          ...deps,
        },
      });
      const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      running.push(() => {
        client.close();
        server.forceShutdown();
        engine.forceShutdown();
      });
      await rpc(
        client,
        "configure",
        new ConfigureRequest().setArgs(struct({ apiToken: TOKEN, baseUrl: emulator.baseUrl })),
      );
      return {
        lines,
        check: async (olds, news) => {
          const res = await rpc(
            client,
            "check",
            new CheckRequest().setUrn(URN).setOlds(struct(olds)).setNews(struct(news)),
          );
          return {
            inputs: res.getInputs()?.toJavaScript() as unknown as StreamDownloadInputs,
            failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
          };
        },
        diff: async (id, olds, news) => {
          const res = await rpc(
            client,
            "diff",
            new DiffRequest().setId(id).setUrn(URN).setOlds(struct(olds)).setNews(struct(news)),
          );
          const changes = res.getChanges() === DiffResponse.DiffChanges.DIFF_SOME;
          const replaces = res.getReplacesList();
          return replaces.length > 0
            ? { changes, replaces, deleteBeforeReplace: res.getDeletebeforereplace() }
            : { changes };
        },
        create: async (inputs) => {
          const res = await rpc(client, "create", new CreateRequest().setUrn(URN).setProperties(struct(inputs)));
          return { id: res.getId(), outs: res.getProperties()?.toJavaScript() as unknown as StreamDownloadOutputs };
        },
        read: async (id, props) => {
          const req = new ReadRequest().setId(id).setUrn(URN);
          if (props) req.setProperties(struct(props));
          const res = await rpc(client, "read", req);
          if (res.getId() === "") return { id: "" };
          return {
            id: res.getId(),
            props: res.getProperties()?.toJavaScript() as unknown as StreamDownloadOutputs,
            inputs: res.getInputs()?.toJavaScript() as unknown as StreamDownloadInputs,
          };
        },
        update: async (id, olds, news) => {
          const res = await rpc(
            client,
            "update",
            new UpdateRequest().setId(id).setUrn(URN).setOlds(struct(olds)).setNews(struct(news)),
          );
          return { outs: res.getProperties()?.toJavaScript() as unknown as StreamDownloadOutputs };
        },
        delete: async (id, props) => {
          await rpc(client, "delete", new DeleteRequest().setId(id).setUrn(URN).setProperties(struct(props)));
        },
      } satisfies FaceProvider;
    },
    close: async () => {
      for (const stop of running.splice(0)) stop();
    },
  };
}

/** Both faces, for a suite that runs against each. */
export const FACES: Array<() => Face> = [dynamicFace, pluginFace];
