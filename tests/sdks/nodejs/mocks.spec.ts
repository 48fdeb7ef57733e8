/**
 * The Node.js SDK generated into sdk/nodejs under Pulumi's mocks: what it sends to the provider must be what
 * schema.json declares, so that a stale or drifted SDK fails here. Run by tests/sdks/nodejs.test.ts in a mocha
 * process of its own (setMocks changes @pulumi/pulumi's global state), with CLOUDFLARE_STREAM_SDK naming the SDK's
 * entry (sdk/nodejs/index.ts).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const REPO = path.resolve(__dirname, "..", "..", "..");
const TYPE = "cloudflare-stream:index:StreamDownload";
const PROVIDER = "pulumi:providers:cloudflare-stream";
const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Property = { default?: unknown; secret?: boolean; defaultInfo?: { environment?: string[] } };
interface Schema {
  config: { variables: Record<string, Property> };
  provider: { inputProperties: Record<string, Property> };
  resources: Record<
    string,
    { inputProperties: Record<string, Property>; requiredInputs: string[]; properties: Record<string, Property> }
  >;
  types: Record<string, { enum?: { name: string; value: string }[]; properties?: Record<string, Property> }>;
}
const schema = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as Schema;
const resourceSpec = schema.resources[TYPE]!;

// The generated SDK's shape, as these tests use it (its sources are not held to this repository's compiler
// settings, so they are not imported for types here).
type Info = { status: string; percentComplete: number; url: string; sizeBytes: number; contentType: string };
type StreamDownloadArgs = {
  accountId: pulumi.Input<string>;
  identifier: pulumi.Input<string>;
  downloadTypes?: pulumi.Input<string>[];
  waitForReady?: boolean;
  readyTimeoutSeconds?: number;
};
interface Sdk {
  DownloadType: Record<string, string>;
  StreamDownload: new (
    name: string,
    args: StreamDownloadArgs,
    opts?: pulumi.CustomResourceOptions,
  ) => pulumi.CustomResource & {
    id: pulumi.Output<string>;
    default: pulumi.Output<Info | undefined>;
    audio: pulumi.Output<Info | undefined>;
    downloadTypes: pulumi.Output<string[]>;
    requireSignedURLs: pulumi.Output<boolean | undefined>;
  } & Record<string, unknown>;
  Provider: new (
    name: string,
    args?: { apiToken?: string; baseUrl?: string; requestsPerFiveMinutes?: number },
  ) => pulumi.ProviderResource;
  config: Record<string, unknown>;
}
const sdk = require(process.env.CLOUDFLARE_STREAM_SDK || path.join(REPO, "sdk", "nodejs", "index.ts")) as Sdk;

/** Every registration, and answers like the provider: the inputs, plus a live download per type. */
const registered: pulumi.runtime.MockResourceArgs[] = [];
void pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type !== TYPE) return { id: `${args.name}-id`, state };
      for (const kind of (args.inputs.downloadTypes as string[] | undefined) ?? ["default"]) {
        const ext = kind === "default" ? "mp4" : "m4a";
        state[kind] = {
          status: "ready",
          percentComplete: 100,
          url: `https://customer-x.example/${VIDEO}/downloads/${kind}.${ext}`,
          sizeBytes: kind === "default" ? 3_125_000 : 200_000,
          contentType: kind === "default" ? "video/mp4" : "audio/mp4",
        };
      }
      state.requireSignedURLs = false;
      return { id: `${args.inputs.accountId}/${args.inputs.identifier}`, state };
    },
    call: () => ({}),
  },
  "sdk-tests",
  "test",
  false,
);

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const of = (type: string) => registered.filter((r) => r.type === type);

describe("the Node.js SDK (sdk/nodejs) under Pulumi's mocks", () => {
  beforeEach(() => {
    registered.length = 0;
  });

  it("sends every input under its schema name", async () => {
    const talk = new sdk.StreamDownload("talk", {
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: [sdk.DownloadType.Default!, sdk.DownloadType.Audio!],
      waitForReady: false,
      readyTimeoutSeconds: 60,
    });
    await value(talk.id);
    const [args] = of(TYPE);
    assert.equal(args?.name, "talk");
    assert.deepEqual(Object.keys(args.inputs).sort(), Object.keys(resourceSpec.inputProperties).sort());
    assert.deepEqual(args.inputs, {
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: ["default", "audio"],
      waitForReady: false,
      readyTimeoutSeconds: 60,
    });
  });

  it("sends the schema's defaults for omitted inputs, and requires the required ones", async () => {
    assert.deepEqual(resourceSpec.requiredInputs, ["accountId", "identifier"]);
    assert.throws(
      () => new sdk.StreamDownload("missing", { identifier: VIDEO } as StreamDownloadArgs),
      /Missing required property 'accountId'/,
    );
    const talk = new sdk.StreamDownload("talk", { accountId: ACCOUNT, identifier: VIDEO });
    await value(talk.id);
    const [args] = of(TYPE);
    const defaults = Object.fromEntries(
      Object.entries(resourceSpec.inputProperties).flatMap(([k, p]) => ("default" in p ? [[k, p.default]] : [])),
    );
    assert.deepEqual(defaults, { waitForReady: true, readyTimeoutSeconds: 1800 });
    assert.deepEqual(args?.inputs, { accountId: ACCOUNT, identifier: VIDEO, ...defaults });
  });

  it("has the schema's enum names and values", () => {
    const spec = schema.types["cloudflare-stream:index:DownloadType"]!.enum!;
    assert.deepEqual(sdk.DownloadType, Object.fromEntries(spec.map((e) => [e.name, e.value])));
  });

  it("types its outputs as the schema says", async () => {
    const talk = new sdk.StreamDownload("talk", { accountId: ACCOUNT, identifier: VIDEO, downloadTypes: ["audio"] });
    for (const prop of Object.keys(resourceSpec.properties)) {
      assert.ok(pulumi.Output.isInstance(talk[prop]), `${prop} is an output of the resource`);
    }
    assert.equal(await value(talk.id), `${ACCOUNT}/${VIDEO}`);
    const audio = await value(talk.audio);
    assert.deepEqual(
      Object.keys(audio ?? {}).sort(),
      Object.keys(schema.types["cloudflare-stream:index:DownloadInfo"]!.properties ?? {}).sort(),
    );
    assert.deepEqual(audio, {
      status: "ready",
      percentComplete: 100,
      url: `https://customer-x.example/${VIDEO}/downloads/audio.m4a`,
      sizeBytes: 200_000,
      contentType: "audio/mp4",
    });
    assert.equal(await value(talk.default), undefined);
    assert.equal(await value(talk.requireSignedURLs), false);
    assert.deepEqual(await value(talk.downloadTypes), ["audio"]);
  });

  it("sends the provider resource's config under its schema names, the token secret", async () => {
    const provider = new sdk.Provider("stream", {
      apiToken: "token-123",
      baseUrl: "http://127.0.0.1:1/client/v4",
      requestsPerFiveMinutes: 600,
    });
    const talk = new sdk.StreamDownload("talk", { accountId: ACCOUNT, identifier: VIDEO }, { provider });
    await value(talk.id);
    const [args] = of(PROVIDER);
    assert.equal(args?.name, "stream");
    for (const key of Object.keys(args.inputs)) assert.ok(key in schema.provider.inputProperties, key);
    // A secret travels wrapped with Pulumi's secret signature.
    assert.deepEqual(args.inputs.apiToken, { [SIG_KEY]: SECRET_SIG, value: "token-123" });
    assert.equal(args.inputs.baseUrl, "http://127.0.0.1:1/client/v4");
    // A provider's non-string inputs travel JSON-encoded, as for every Pulumi provider.
    assert.equal(args.inputs.requestsPerFiveMinutes, "600");
    const secrets = Object.entries(schema.provider.inputProperties).flatMap(([k, p]) => (p.secret ? [k] : []));
    assert.deepEqual(secrets.sort(), ["apiKey", "apiToken", "email"]);
    const [download] = of(TYPE);
    assert.match(
      download?.provider ?? "",
      /^urn:pulumi:test::sdk-tests::(pulumi:pulumi:Stack\$)?pulumi:providers:cloudflare-stream::stream::stream-id$/,
    );
  });

  it("falls back to the schema's environment variables for the provider's config", async () => {
    assert.deepEqual(schema.provider.inputProperties.apiToken?.defaultInfo?.environment, ["CLOUDFLARE_API_TOKEN"]);
    assert.deepEqual(schema.provider.inputProperties.baseUrl?.defaultInfo?.environment, ["CLOUDFLARE_BASE_URL"]);
    process.env.CLOUDFLARE_API_TOKEN = "env-token";
    process.env.CLOUDFLARE_BASE_URL = "http://127.0.0.1:2/client/v4";
    try {
      const provider = new sdk.Provider("from-env");
      await value(provider.urn);
    } finally {
      delete process.env.CLOUDFLARE_API_TOKEN;
      delete process.env.CLOUDFLARE_BASE_URL;
    }
    const [args] = of(PROVIDER);
    // Unlike an apiToken argument, the Node.js SDK sends the environment's token unwrapped; the plugin's
    // CheckConfig marks it secret in state (tests/engine/plugin.test.ts, two explicit providers).
    assert.equal(args?.inputs.apiToken, "env-token");
    assert.equal(args?.inputs.baseUrl, "http://127.0.0.1:2/client/v4");
  });

  it("reads the schema's config keys", () => {
    for (const key of Object.keys(schema.config.variables)) assert.ok(key in sdk.config, key);
    pulumi.runtime.setConfig("cloudflare-stream:baseUrl", "http://127.0.0.1:3/client/v4");
    pulumi.runtime.setConfig("cloudflare-stream:requestsPerFiveMinutes", "300");
    assert.equal(sdk.config.baseUrl, "http://127.0.0.1:3/client/v4");
    assert.equal(sdk.config.requestsPerFiveMinutes, 300);
  });
});
