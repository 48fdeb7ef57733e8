/**
 * The plugin's gRPC ResourceProviderService: it translates each call into the core's operations and the
 * answers back into protobuf, and holds this provider instance's configuration.
 *
 * Our own server rather than `@pulumi/pulumi/provider`'s `main`: that one (3.276) answers Configure without
 * handing the provider's config to the provider and leaves CheckConfig/DiffConfig unimplemented, while an
 * explicit provider's apiToken arrives only through those calls. Methods not defined here (Construct, Call,
 * Invoke, Parameterize, Handshake, ...) answer UNIMPLEMENTED, which the engine understands.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { PluginAttach } from "@pulumi/pulumi/proto/plugin_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import type { IResourceProviderServer } from "@pulumi/pulumi/proto/provider_grpc_pb";
import {
  CheckFailure,
  CheckResponse,
  ConfigureResponse,
  CreateResponse,
  DiffResponse,
  GetSchemaResponse,
  ReadResponse,
  UpdateResponse,
} from "@pulumi/pulumi/proto/provider_pb";
import { type OperationOptions, StreamDownloadOperations } from "../core/operations";
import { DOWNLOAD_TYPES } from "../core/download-types";
import type { ConfiguredValues } from "../core/settings";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../core/types";
import {
  configFailures,
  NATIVE_CREDENTIAL_HINT,
  NATIVE_ROTATION_HINT,
  readConfigured,
  settingsFor,
  withSecretCredentials,
} from "./config";
import { EngineLog } from "./engine-log";
import { packageSchema, pluginVersion } from "./schema";
import { type PropertyMap, unwrapSecrets, wrapSecrets } from "./property-map";

/** The one resource type this package has. */
export const STREAM_DOWNLOAD = "cloudflare-stream:index:StreamDownload";

/** The resource's input properties: the ones a diff reports on. */
const INPUT_NAMES = ["accountId", "identifier", "downloadTypes", "waitForReady", "readyTimeoutSeconds"] as const;

/** What the operations may be given besides log and settings (tests pass a faster poll). */
export type OperationOverrides = Omit<OperationOptions, "log" | "settings" | "credentialHint" | "rotationHint">;

export interface PluginOptions {
  /** The engine's gRPC address (the plugin's first argument); without it, log lines go to stderr. */
  engineAddress?: string;
  /** Where environment fallbacks are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  operations?: OperationOverrides;
}

type Handlers = Pick<
  IResourceProviderServer,
  | "getPluginInfo"
  | "getSchema"
  | "checkConfig"
  | "diffConfig"
  | "configure"
  | "check"
  | "diff"
  | "create"
  | "read"
  | "update"
  | "delete"
  | "cancel"
  | "attach"
>;

/** Turns an async handler into a gRPC unary one; a thrown error becomes an UNKNOWN status with its message. */
function unary<Req, Res>(
  fn: (req: Req) => Promise<Res>,
): (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (error: unknown) =>
        callback({ code: grpc.status.UNKNOWN, details: error instanceof Error ? error.message : String(error) }),
    );
  };
}

function toStruct(props: PropertyMap): Struct {
  return Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]);
}

function fromStruct(struct: Struct | undefined): PropertyMap {
  return (struct?.toJavaScript() ?? {}) as PropertyMap;
}

/**
 * The values of the secret string inputs (a secret `accountId` or `identifier`) of one call, which none of its
 * progress lines or errors may repeat: the core names the video and the account in both.
 */
function secretValues(props: { plain: PropertyMap; secrets: ReadonlySet<string> }): string[] {
  return [...props.secrets].flatMap((key) => {
    const value = props.plain[key];
    return typeof value === "string" && value.length > 0 ? [value] : [];
  });
}

/** `text` with every secret value in it replaced by `[secret]`. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, value) => out.split(value).join("[secret]"), text);
}

/** Secret inputs make their outputs secret; a secret video UID also hides the URLs, which contain it. */
function outputSecrets(secrets: ReadonlySet<string>): Set<string> {
  const out = new Set(secrets);
  if (secrets.has("identifier")) for (const type of DOWNLOAD_TYPES) out.add(type);
  return out;
}

/** The gRPC handlers of one plugin process (one provider instance). */
export class StreamDownloadPlugin implements Handlers {
  private configured: ConfiguredValues = {};
  /** Aborted by Cancel; the engine sends it once, when it cancels the whole deployment. */
  private readonly cancellation = new AbortController();
  private readonly engineLog: EngineLog;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: PluginOptions = {}) {
    this.engineLog = new EngineLog(options.engineAddress);
    this.env = options.env ?? process.env;
  }

  /** The core's operations, logging against `urn` with this instance's settings, never repeating `secrets`. */
  private operations(urn: string, secrets: readonly string[] = []): StreamDownloadOperations {
    return new StreamDownloadOperations({
      ...this.options.operations,
      log: (line, kind) => this.engineLog.log(urn, redact(line, secrets), kind === "status"),
      settings: () => settingsFor(this.configured, this.env),
      credentialHint: NATIVE_CREDENTIAL_HINT,
      rotationHint: NATIVE_ROTATION_HINT,
      signal: this.cancellation.signal,
    });
  }

  /**
   * Runs `fn` and waits until its log lines reached the engine, so they show before the step's result; an error
   * it throws reaches the engine without the call's secret values.
   */
  private async logged<T>(fn: () => Promise<T>, secrets: readonly string[] = []): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Error && secrets.length > 0) error.message = redact(error.message, secrets);
      throw error;
    } finally {
      await this.engineLog.flush();
    }
  }

  getPluginInfo = unary<Empty, PluginInfo>(async () => new PluginInfo().setVersion(pluginVersion()));

  getSchema = unary(async (req: { getVersion(): number }) => {
    if (req.getVersion() !== 0) throw new Error(`unsupported schema version ${req.getVersion()}; this plugin serves 0`);
    return new GetSchemaResponse().setSchema(packageSchema());
  });

  attach = unary<PluginAttach, Empty>(async (req) => {
    this.engineLog.attach(req.getAddress());
    return new Empty();
  });

  /**
   * The engine cancels the deployment (Ctrl-C): waits for downloads end at once, recording them as they are,
   * so `pulumi up` stops without waiting up to readyTimeoutSeconds. Creates already sent are not undone.
   */
  cancel = unary<Empty, Empty>(async () => {
    this.cancellation.abort();
    return new Empty();
  });

  /** Validates the provider's config; credentials come back marked secret so the engine stores them encrypted. */
  checkConfig: Handlers["checkConfig"] = unary(async (req) => {
    const news = fromStruct(req.getNews());
    const configured = readConfigured(unwrapSecrets(news).plain, new Map());
    return new CheckResponse()
      .setInputs(toStruct(withSecretCredentials(news)))
      .setFailuresList(configFailures(configured, this.env).map(failure));
  });

  /** Config changes (a rotated token, another base URL) never replace the provider or its resources. */
  diffConfig: Handlers["diffConfig"] = unary(async (req) => {
    const olds = unwrapSecrets(fromStruct(req.getOlds())).plain;
    const news = unwrapSecrets(fromStruct(req.getNews())).plain;
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])];
    const diffs = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return new DiffResponse()
      .setChanges(diffs.length > 0 ? DiffResponse.DiffChanges.DIFF_SOME : DiffResponse.DiffChanges.DIFF_NONE)
      .setDiffsList(diffs);
  });

  configure: Handlers["configure"] = unary(async (req) => {
    const args = req.getArgs() ? unwrapSecrets(fromStruct(req.getArgs())).plain : undefined;
    this.configured = readConfigured(args, new Map(req.getVariablesMap().toArray()));
    return new ConfigureResponse()
      .setAcceptsecrets(true)
      .setSupportspreview(false)
      .setAcceptresources(false)
      .setAcceptoutputs(false);
  });

  check: Handlers["check"] = unary(async (req) => {
    const olds = unwrapSecrets(fromStruct(req.getOlds()));
    const news = unwrapSecrets(fromStruct(req.getNews()));
    // Secret inputs arrive wrapped and are unwrapped here: their names tell the core which values not to repeat.
    const result = await this.operations(req.getUrn()).check(olds.plain, news.plain, news.secrets);
    return new CheckResponse()
      .setInputs(toStruct(wrapSecrets(result.inputs ?? news.plain, news.secrets)))
      .setFailuresList((result.failures ?? []).map(failure));
  });

  diff: Handlers["diff"] = unary(async (req) => {
    const olds = unwrapSecrets(fromStruct(req.getOlds())).plain;
    const news = unwrapSecrets(fromStruct(req.getNews())).plain;
    const result = await this.operations(req.getUrn()).diff(
      req.getId(),
      olds as unknown as StreamDownloadOutputs,
      news as unknown as StreamDownloadInputs,
    );
    const diffs = INPUT_NAMES.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return new DiffResponse()
      .setChanges(result.changes ? DiffResponse.DiffChanges.DIFF_SOME : DiffResponse.DiffChanges.DIFF_NONE)
      .setReplacesList(result.replaces ?? [])
      .setDeletebeforereplace(result.deleteBeforeReplace ?? false)
      .setDiffsList(result.changes ? diffs : []);
  });

  create: Handlers["create"] = unary(async (req) => {
    const inputs = unwrapSecrets(fromStruct(req.getProperties()));
    const hidden = secretValues(inputs);
    const result = await this.logged(
      () => this.operations(req.getUrn(), hidden).create(inputs.plain as unknown as StreamDownloadInputs),
      hidden,
    );
    return new CreateResponse()
      .setId(result.id)
      .setProperties(toStruct(wrapSecrets(result.outs ?? {}, outputSecrets(inputs.secrets))));
  });

  /** Serves refresh, and import (no prior properties: the core adopts the downloads the id names). */
  read: Handlers["read"] = unary(async (req) => {
    const props = unwrapSecrets(fromStruct(req.getProperties()));
    const inputs = unwrapSecrets(fromStruct(req.getInputs()));
    const secrets = new Set([...props.secrets, ...inputs.secrets]);
    const known = Object.keys(props.plain).length > 0 ? (props.plain as unknown as StreamDownloadOutputs) : undefined;
    const hidden = [...secretValues(props), ...secretValues(inputs)];
    const result = await this.logged(() => this.operations(req.getUrn(), hidden).read(req.getId(), known), hidden);
    const resp = new ReadResponse().setId(result.id ?? "");
    if (result.id && result.props) resp.setProperties(toStruct(wrapSecrets(result.props, outputSecrets(secrets))));
    if (result.id && result.inputs) resp.setInputs(toStruct(wrapSecrets(result.inputs, secrets)));
    return resp;
  });

  update: Handlers["update"] = unary(async (req) => {
    const olds = unwrapSecrets(fromStruct(req.getOlds()));
    const news = unwrapSecrets(fromStruct(req.getNews()));
    const hidden = [...secretValues(olds), ...secretValues(news)];
    const result = await this.logged(
      () =>
        this.operations(req.getUrn(), hidden).update(
          req.getId(),
          olds.plain as unknown as StreamDownloadOutputs,
          news.plain as unknown as StreamDownloadInputs,
        ),
      hidden,
    );
    return new UpdateResponse().setProperties(toStruct(wrapSecrets(result.outs ?? {}, outputSecrets(news.secrets))));
  });

  delete: Handlers["delete"] = unary(async (req) => {
    const props = unwrapSecrets(fromStruct(req.getProperties()));
    const hidden = secretValues(props);
    await this.logged(
      () => this.operations(req.getUrn(), hidden).delete(req.getId(), props.plain as unknown as StreamDownloadOutputs),
      hidden,
    );
    return new Empty();
  });
}

function failure(f: { property: string; reason: string }): CheckFailure {
  return new CheckFailure().setProperty(f.property).setReason(f.reason);
}

/** Starts the gRPC server on a free port of 127.0.0.1 and resolves with it. */
export async function serve(options: PluginOptions = {}): Promise<{ port: number; server: grpc.Server }> {
  const { ResourceProviderService } = await import("@pulumi/pulumi/proto/provider_grpc_pb");
  const server = new grpc.Server();
  server.addService(
    ResourceProviderService,
    new StreamDownloadPlugin(options) as unknown as grpc.UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { port, server };
}
