import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import type { LogRequest } from "@pulumi/pulumi/proto/engine_pb";
import {
  CheckRequest,
  ConfigureRequest,
  CreateRequest,
  DeleteRequest,
  DiffRequest,
  DiffResponse,
  GetSchemaRequest,
  ReadRequest,
  UpdateRequest,
} from "@pulumi/pulumi/proto/provider_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { serve } from "../../src/native/server";
import { SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN } from "../../src/native/property-map";
import { cfId, FAST_POLL, TOKEN } from "../helpers/fixtures";
import { call, pluginBinDir, type RunningPlugin, startPlugin } from "../helpers/plugin";
import { REPO } from "../helpers/engine";

const URN = "urn:pulumi:dev::proj::cloudflare-stream:index:StreamDownload::talk";
const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE_SIG, value });
const struct = (o: Record<string, unknown>) => Struct.fromJavaScript(o as Parameters<typeof Struct.fromJavaScript>[0]);

/** A stand-in for the Pulumi engine's Engine service: it records the log lines a plugin sends. */
async function startEngine(): Promise<{ address: string; logs: LogRequest.AsObject[]; close(): void }> {
  const logs: LogRequest.AsObject[] = [];
  const server = new grpc.Server();
  server.addService(EngineService, {
    log: (c: grpc.ServerUnaryCall<LogRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
      logs.push(c.request.toObject());
      cb(null, new Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, logs, close: () => server.forceShutdown() };
}

describe("pulumi-resource-cloudflare-stream over gRPC", function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let engine: Awaited<ReturnType<typeof startEngine>>;
  let bin: ReturnType<typeof pluginBinDir>;
  let plugin: RunningPlugin;
  const account = cfId();

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: 300, rateLimit: false });
    engine = await startEngine();
    bin = pluginBinDir();
    // No credentials in the environment: they must come through Configure.
    plugin = await startPlugin(bin.dir, [engine.address], { CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_BASE_URL: "" });
  });
  after(async () => {
    await plugin?.stop();
    bin?.dispose();
    engine?.close();
    await emulator?.close();
  });

  const rpc = <K extends Parameters<typeof call>[1]>(method: K, req: Parameters<typeof call<K>>[2]) =>
    call(plugin.client, method, req);

  it("reports the package version and serves schema.json", async () => {
    const version = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
    assert.equal((await rpc("getPluginInfo", new Empty())).getVersion(), version);
    const schema = JSON.parse((await rpc("getSchema", new GetSchemaRequest())).getSchema());
    const file = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8"));
    assert.deepEqual(schema, { ...file, version });
  });

  it("answers methods it does not implement with UNIMPLEMENTED", async () => {
    const { InvokeRequest } = await import("@pulumi/pulumi/proto/provider_pb");
    await assert.rejects(rpc("invoke", new InvokeRequest()), { code: grpc.status.UNIMPLEMENTED });
  });

  it("CheckConfig marks credentials secret and names bad keys without echoing a credential", async () => {
    const ok = await rpc("checkConfig", new CheckRequest().setNews(struct({ apiToken: TOKEN, email: "a@b.c" })));
    assert.deepEqual(ok.getFailuresList(), []);
    assert.deepEqual(ok.getInputs()?.toJavaScript(), { apiToken: secret(TOKEN), email: secret("a@b.c") });

    const bad = await rpc(
      "checkConfig",
      new CheckRequest().setNews(struct({ apiKey: secret(TOKEN), baseUrl: "ftp://x", requestsPerFiveMinutes: 5 })),
    );
    const failures = bad.getFailuresList().map((f) => [f.getProperty(), f.getReason()]);
    assert.deepEqual(
      failures.map(([p]) => p),
      ["email", "baseUrl", "requestsPerFiveMinutes"],
    );
    assert.match(failures[0]?.[1] ?? "", /cloudflare-stream:email .*CLOUDFLARE_EMAIL/);
    assert.match(failures[1]?.[1] ?? "", /cloudflare-stream:baseUrl \/ CLOUDFLARE_BASE_URL must be an http\(s\) URL/);
    assert.ok(!JSON.stringify(failures).includes(TOKEN));
    assert.deepEqual(bad.getInputs()?.toJavaScript().apiKey, secret(TOKEN));
  });

  it("DiffConfig reports a changed token as a change, never as a replacement", async () => {
    const diff = await rpc(
      "diffConfig",
      new DiffRequest().setOlds(struct({ apiToken: secret("old") })).setNews(struct({ apiToken: secret("new") })),
    );
    assert.equal(diff.getChanges(), DiffResponse.DiffChanges.DIFF_SOME);
    assert.deepEqual(diff.getDiffsList(), ["apiToken"]);
    assert.deepEqual(diff.getReplacesList(), []);
  });

  it("Check keeps secret inputs secret, lets unknowns through and fills defaults", async () => {
    const res = await rpc(
      "check",
      new CheckRequest().setUrn(URN).setNews(struct({ accountId: secret(account), identifier: UNKNOWN })),
    );
    assert.deepEqual(res.getFailuresList(), []);
    assert.deepEqual(res.getInputs()?.toJavaScript(), {
      accountId: secret(account),
      identifier: UNKNOWN,
      downloadTypes: ["default"],
      waitForReady: true,
      readyTimeoutSeconds: 1800,
    });
    const bad = await rpc(
      "check",
      new CheckRequest()
        .setUrn(URN)
        .setNews(struct({ accountId: account, identifier: "nope", downloadTypes: ["mp3"] })),
    );
    assert.deepEqual(
      bad.getFailuresList().map((f) => f.getProperty()),
      ["identifier", "downloadTypes"],
    );
  });

  it("fails a create before Configure gave credentials, naming this package's keys", async () => {
    const video = emulator.createVideo(account);
    emulator.resetRequests();
    await assert.rejects(
      rpc(
        "create",
        new CreateRequest().setUrn(URN).setProperties(
          struct({
            accountId: account,
            identifier: video,
            downloadTypes: ["default"],
            waitForReady: true,
            readyTimeoutSeconds: 30,
          }),
        ),
      ),
      /No Cloudflare credentials: .*cloudflare-stream:apiToken .*CLOUDFLARE_API_TOKEN/,
    );
    assert.equal(emulator.requests.length, 0);
  });

  it("creates with the configured token, logs progress against the URN, reads and deletes", async () => {
    await rpc(
      "configure",
      new ConfigureRequest().setArgs(struct({ apiToken: secret(TOKEN), baseUrl: emulator.baseUrl, version: "0.1.0" })),
    );
    const video = emulator.createVideo(account);
    const inputs = {
      accountId: account,
      identifier: secret(video),
      downloadTypes: ["default", "audio"],
      waitForReady: true,
      readyTimeoutSeconds: 30,
    };
    engine.logs.length = 0;
    const created = await rpc("create", new CreateRequest().setUrn(URN).setProperties(struct(inputs)));
    assert.equal(created.getId(), `${account}/${video}`);
    const outs = created.getProperties()?.toJavaScript() as Record<string, { value: { status: string; url: string } }>;
    // The URLs contain the video UID, which is secret here, so they are secret too.
    assert.equal(outs.default?.value.status, "ready");
    assert.match(outs.audio?.value.url ?? "", new RegExp(`/${video}/downloads/audio\\.m4a$`));
    assert.deepEqual(outs.identifier, secret(video));

    assert.ok(engine.logs.length > 0, "progress lines reached the engine");
    assert.ok(engine.logs.every((l) => l.urn === URN && l.severity === 1));
    assert.ok(engine.logs.some((l) => l.ephemeral && /next check in/.test(l.message)));
    assert.ok(engine.logs.some((l) => !l.ephemeral && /ready after/.test(l.message)));
    assert.ok(emulator.requests.every((r) => r.auth === "bearer"));
    assert.ok(!JSON.stringify(engine.logs).includes(TOKEN));

    emulator.deleteDownload(account, video, "audio");
    const read = await rpc(
      "read",
      new ReadRequest().setId(created.getId()).setUrn(URN).setProperties(created.getProperties()),
    );
    assert.equal(read.getId(), created.getId());
    const props = read.getProperties()?.toJavaScript() ?? {};
    assert.ok("default" in props && !("audio" in props));

    await rpc("delete", new DeleteRequest().setId(created.getId()).setUrn(URN).setProperties(read.getProperties()));
    assert.deepEqual(emulator.storedDownloads(account, video), []);
    const gone = await rpc(
      "read",
      new ReadRequest().setId(created.getId()).setUrn(URN).setProperties(read.getProperties()),
    );
    assert.equal(gone.getId(), "");
  });

  it("repeats no secret accountId or identifier in its progress lines or errors", async () => {
    await rpc(
      "configure",
      new ConfigureRequest().setArgs(struct({ apiToken: secret(TOKEN), baseUrl: emulator.baseUrl, version: "0.1.0" })),
    );
    const video = emulator.createVideo(account);
    const inputs = {
      accountId: secret(account),
      identifier: secret(video),
      downloadTypes: ["default"],
      waitForReady: true,
      readyTimeoutSeconds: 30,
    };
    engine.logs.length = 0;
    const created = await rpc("create", new CreateRequest().setUrn(URN).setProperties(struct(inputs)));
    assert.ok(engine.logs.length > 0, "progress lines reached the engine");
    assert.ok(
      engine.logs.some((l) => l.message.includes("[secret]")),
      "the lines name the video as [secret]",
    );
    for (const l of engine.logs) assert.ok(!l.message.includes(video) && !l.message.includes(account), l.message);

    // An error of the core names the video and the account: not when they are secret.
    const missing = cfId();
    await assert.rejects(
      rpc("create", new CreateRequest().setUrn(URN).setProperties(struct({ ...inputs, identifier: secret(missing) }))),
      (error: Error) => {
        assert.match(error.message, /\[secret\]/);
        assert.ok(!error.message.includes(missing) && !error.message.includes(account), error.message);
        return true;
      },
    );
    await rpc("delete", new DeleteRequest().setId(created.getId()).setUrn(URN).setProperties(created.getProperties()));
    assert.deepEqual(emulator.storedDownloads(account, video), []);
  });

  it("on Cancel, ends a wait at once and records the downloads as they are, without deleting them", async () => {
    const own = await startPlugin(bin.dir, [engine.address], { CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_BASE_URL: "" });
    try {
      await call(
        own.client,
        "configure",
        new ConfigureRequest().setArgs(struct({ apiToken: TOKEN, baseUrl: emulator.baseUrl })),
      );
      emulator.options.generationMs = 60_000;
      const video = emulator.createVideo(account);
      engine.logs.length = 0;
      const inputs = {
        accountId: account,
        identifier: video,
        downloadTypes: ["default"],
        waitForReady: true,
        readyTimeoutSeconds: 600,
      };
      const creating = call(own.client, "create", new CreateRequest().setUrn(URN).setProperties(struct(inputs)));
      while (!engine.logs.some((l) => /generating/.test(l.message))) await new Promise((r) => setTimeout(r, 50));
      await call(own.client, "cancel", new Empty());
      const created = await creating;
      // Returned before the download was ready (it takes 60 s): what "at once" means, without a wall-clock bound.
      assert.equal(emulator.downloads(account, video).default?.status, "inprogress");
      const outs = created.getProperties()?.toJavaScript() as { default?: { status: string; url: string } };
      assert.equal(outs.default?.status, "inprogress");
      assert.match(outs.default?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
      assert.deepEqual(
        emulator.storedDownloads(account, video).map((d) => d.type),
        ["default"],
        "the download goes on generating at Cloudflare",
      );
      assert.ok(engine.logs.some((l) => !l.ephemeral && /cancelled; recording default inprogress/.test(l.message)));
    } finally {
      emulator.options.generationMs = 300;
      await own.stop();
    }
  });
});

/**
 * A secret `accountId` or `identifier` stays out of every progress line and error of its resource, in each step
 * that can name them: refresh, import, update and delete (create is tested above). The plugin runs in this
 * process here, served over loopback gRPC, so that it polls and retries fast.
 */
describe("the plugin's refresh, import, update and delete with a secret accountId and identifier", function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let engine: Awaited<ReturnType<typeof startEngine>>;
  let server: grpc.Server;
  let client: ResourceProviderClient;
  const account = cfId();
  let video: string;

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: 100, rateLimit: false });
    engine = await startEngine();
    const served = await serve({
      engineAddress: engine.address,
      env: {},
      operations: { poll: FAST_POLL, client: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, attemptTimeoutMs: 2000 } },
    });
    server = served.server;
    client = new ResourceProviderClient(`127.0.0.1:${served.port}`, grpc.credentials.createInsecure());
    await call(
      client,
      "configure",
      new ConfigureRequest().setArgs(struct({ apiToken: secret(TOKEN), baseUrl: emulator.baseUrl })),
    );
  });
  after(async () => {
    client?.close();
    server?.forceShutdown();
    engine?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.clearFaults();
    engine.logs.length = 0;
    video = emulator.createVideo(account);
  });

  /** The inputs of a resource whose ids are both secret. */
  const secretInputs = (downloadTypes = ["default", "audio"]) => ({
    accountId: secret(account),
    identifier: secret(video),
    downloadTypes,
    waitForReady: true,
    readyTimeoutSeconds: 30,
  });

  /** Creates the resource as the engine does, and returns what the engine then records: id and properties. */
  async function created(downloadTypes?: string[]): Promise<{ id: string; props: Struct }> {
    const res = await call(
      client,
      "create",
      new CreateRequest().setUrn(URN).setProperties(struct(secretInputs(downloadTypes))),
    );
    const props = res.getProperties();
    assert.ok(props);
    engine.logs.length = 0;
    return { id: res.getId(), props };
  }

  /** Answers the next request matching `path` with a 503 and `Retry-After: 0`: the plugin logs a retry line. */
  function oneRetry(method: string, path: RegExp | string): void {
    emulator.addFault({ method, path, fault: { kind: "status", status: 503, headers: { "retry-after": "0" } } });
  }

  /** Every request matching `path` fails with a 403, whose message names the method and the path. */
  function forbidden(method: string, path: RegExp | string): void {
    emulator.addFault({ method, path, times: Infinity, fault: { kind: "status", status: 403 } });
  }

  /** The messages of the progress lines the engine received since the last reset. */
  const lines = () => engine.logs.map((l) => l.message);

  /** The error a call failed with, as the engine receives it (the gRPC status details). */
  async function failure(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => assert.fail("expected the call to fail"),
      (e: grpc.ServiceError) => e,
    );
    return error.details;
  }

  /** `texts` are not empty, say `[secret]` where they name the video or account, and never repeat either. */
  function assertHidden(what: string, texts: string[], expected: RegExp[]): void {
    const all = texts.join("\n");
    for (const pattern of expected) assert.match(all, pattern, `${what}: ${all}`);
    for (const text of texts) {
      assert.ok(!text.includes(video), `${what} repeats the secret identifier: ${text}`);
      assert.ok(!text.includes(account), `${what} repeats the secret accountId: ${text}`);
    }
  }

  it("refresh: its retry lines, the line for a download gone, and its error say [secret]", async () => {
    const { id, props } = await created();
    emulator.deleteDownload(account, video, "audio");
    oneRetry("GET", /\/downloads$/);
    const read = await call(client, "read", new ReadRequest().setId(id).setUrn(URN).setProperties(props));
    assert.equal(read.getId(), id);
    assert.ok(!("audio" in (read.getProperties()?.toJavaScript() ?? {})), "the deleted download was dropped");
    assertHidden("refresh's lines", lines(), [
      /cloudflare: GET \/accounts\/\[secret\]\/stream\/\[secret\]\/downloads: .*; attempt 2 in /,
      /StreamDownload \[secret\] audio: the download is gone from Cloudflare/,
    ]);

    forbidden("GET", /\/downloads$/);
    const error = await failure(call(client, "read", new ReadRequest().setId(id).setUrn(URN).setProperties(props)));
    assertHidden(
      "refresh's error",
      [error],
      [
        /Reading the downloads of video \[secret\]: Cloudflare API 403 Forbidden: GET \/accounts\/\[secret\]\/stream\/\[secret\]\//,
      ],
    );

    emulator.clearFaults();
    emulator.deleteVideo(account, video);
    engine.logs.length = 0;
    const gone = await call(client, "read", new ReadRequest().setId(id).setUrn(URN).setProperties(props));
    assert.equal(gone.getId(), "");
    assertHidden("refresh's line for a video gone", lines(), [/the video is gone from account \[secret\]/]);
  });

  it("refresh: hides the ids when only the recorded inputs mark them secret", async () => {
    const { id, props } = await created();
    const plainProps = struct(unwrapped(props));
    emulator.deleteDownload(account, video, "audio");
    const read = await call(
      client,
      "read",
      new ReadRequest().setId(id).setUrn(URN).setProperties(plainProps).setInputs(struct(secretInputs())),
    );
    assert.equal(read.getId(), id);
    assertHidden("refresh's lines", lines(), [/StreamDownload \[secret\] audio: the download is gone/]);
  });

  it("import (no prior state): its retry lines and its error say [secret] for ids its inputs mark secret", async () => {
    emulator.createDownload(account, video, "default", { ready: true });
    const id = `${account}/${video}`;
    const inputs = struct(secretInputs(["default"]));
    oneRetry("GET", /\/downloads$/);
    const read = await call(client, "read", new ReadRequest().setId(id).setUrn(URN).setInputs(inputs));
    assert.equal(read.getId(), id);
    assert.deepEqual(read.getInputs()?.toJavaScript().downloadTypes, ["default"], "the download was adopted");
    assertHidden("import's lines", lines(), [
      /cloudflare: GET \/accounts\/\[secret\]\/stream\/\[secret\]\/downloads: /,
    ]);

    forbidden("GET", `/stream/${video}`);
    const error = await failure(call(client, "read", new ReadRequest().setId(id).setUrn(URN).setInputs(inputs)));
    assertHidden("import's error", [error], [/Reading the downloads of video \[secret\]: Cloudflare API 403/]);
  });

  it("update: its progress lines, retry lines and errors say [secret]", async () => {
    const { id, props } = await created(["default"]);
    oneRetry("POST", "/downloads/audio");
    const updated = await call(
      client,
      "update",
      new UpdateRequest()
        .setId(id)
        .setUrn(URN)
        .setOlds(props)
        .setNews(struct(secretInputs(["default", "audio"]))),
    );
    const outs = updated.getProperties()?.toJavaScript() as Record<string, { value?: { status?: string } }>;
    assert.equal(outs.audio?.value?.status, "ready", "the audio download was added");
    assertHidden("update's lines", lines(), [
      /cloudflare: POST \/accounts\/\[secret\]\/stream\/\[secret\]\/downloads\/audio: .*; attempt 2 in /,
      /StreamDownload \[secret\]: .*ready after/,
    ]);

    forbidden("DELETE", "/downloads/audio");
    const error = await failure(
      call(
        client,
        "update",
        new UpdateRequest()
          .setId(id)
          .setUrn(URN)
          .setOlds(updated.getProperties())
          .setNews(struct(secretInputs(["default"]))),
      ),
    );
    assertHidden(
      "update's error",
      [error],
      [
        /Could not delete the downloads of video \[secret\]: audio: Cloudflare API 403 Forbidden: DELETE \/accounts\/\[secret\]\/stream\/\[secret\]\/downloads\/audio/,
      ],
    );
  });

  it("delete: its retry lines and its error say [secret]", async () => {
    const { id, props } = await created(["default"]);
    forbidden("DELETE", "/downloads/default");
    const error = await failure(call(client, "delete", new DeleteRequest().setId(id).setUrn(URN).setProperties(props)));
    assertHidden(
      "delete's error",
      [error],
      [
        /Could not delete the downloads of video \[secret\]: default: Cloudflare API 403 Forbidden: DELETE \/accounts\/\[secret\]\//,
      ],
    );

    emulator.clearFaults();
    oneRetry("DELETE", "/downloads/default");
    engine.logs.length = 0;
    await call(client, "delete", new DeleteRequest().setId(id).setUrn(URN).setProperties(props));
    assert.deepEqual(emulator.storedDownloads(account, video), []);
    assertHidden("delete's lines", lines(), [
      /cloudflare: DELETE \/accounts\/\[secret\]\/stream\/\[secret\]\/downloads\/default: .*; attempt 2 in /,
    ]);
  });
});

/** A Struct's values with every secret unwrapped: properties as a state written without secrets holds them. */
function unwrapped(props: Struct): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props.toJavaScript())) {
    const wrapped = value as { [SECRET_SIG]?: string; value?: unknown } | null;
    plain[key] =
      wrapped !== null && typeof wrapped === "object" && wrapped[SECRET_SIG] === SECRET_VALUE_SIG
        ? wrapped.value
        : value;
  }
  return plain;
}
