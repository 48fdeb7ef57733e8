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
} from "@pulumi/pulumi/proto/provider_pb";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN } from "../../src/native/property-map";
import { cfId, TOKEN } from "../helpers/fixtures";
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
      ["identifier", "downloadTypes[0]"],
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
