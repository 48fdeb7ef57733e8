import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { clearConfigured } from "../../src/dynamic/config";
import { cfId, TOKEN } from "../helpers/fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

describe("StreamDownload (under Pulumi mocks)", () => {
  const registered: Registered[] = [];
  const savedToken = process.env.CLOUDFLARE_API_TOKEN;
  let StreamDownload: typeof import("../../src/dynamic/resource").StreamDownload;

  before(async () => {
    process.env.CLOUDFLARE_API_TOKEN = TOKEN;
    pulumi.runtime.setAllConfig({ "cloudflare:apiToken": TOKEN }, ["cloudflare:apiToken"]);
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const url = (type: string) =>
            `https://customer-x.cloudflarestream.com/${args.inputs.identifier}/downloads/${type}`;
          return {
            id: `${args.inputs.accountId}/${args.inputs.identifier}`,
            state: {
              ...args.inputs,
              default: { status: "ready", percentComplete: 100, url: url("default.mp4") },
              audio: { status: "ready", percentComplete: 100, url: url("audio.m4a") },
            },
          };
        },
        call: (args) => args.inputs,
      },
      "project",
      "stack",
      false,
    );
    // Import after the mocks are set, as Pulumi's unit-testing guide does.
    ({ StreamDownload } = await import("../../src/dynamic/resource"));
  });

  after(() => {
    if (savedToken === undefined) delete process.env.CLOUDFLARE_API_TOKEN;
    else process.env.CLOUDFLARE_API_TOKEN = savedToken;
    clearConfigured();
  });

  function output<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
  }

  it("registers as pulumi-nodejs:dynamic/cloudflare:StreamDownload and exposes the download URLs", async () => {
    const accountId = cfId();
    const identifier = cfId();
    const talk = new StreamDownload("talk", { accountId, identifier, downloadTypes: ["default", "audio"] });
    assert.equal(await output(talk.id), `${accountId}/${identifier}`);
    assert.equal(
      await output(talk.default.url),
      `https://customer-x.cloudflarestream.com/${identifier}/downloads/default.mp4`,
    );
    assert.equal(await output(talk.audio.status), "ready");
    assert.deepEqual(await output(talk.downloadTypes), ["default", "audio"]);
    const reg = registered.find((r) => r.name === "talk");
    assert.equal(reg?.type, "pulumi-nodejs:dynamic/cloudflare:StreamDownload");
    assert.equal(typeof reg?.inputs.__provider, "string");
  });

  it("serializes a provider that holds no credential, though a token is in env, config and a configured provider", async () => {
    // Even a provider configured in this very process must not carry the token into state.
    const { streamDownloadProvider } = await import("../../src/dynamic/resource");
    await streamDownloadProvider.configure?.({
      config: { get: (k: string) => (k === "cloudflare:apiToken" ? TOKEN : undefined), require: () => TOKEN },
    });
    const r = new StreamDownload("secretive", { accountId: cfId(), identifier: cfId() });
    await output(r.id);
    const serialized = String(registered.find((x) => x.name === "secretive")?.inputs.__provider);
    assert.ok(serialized.length > 100, "the provider was serialized");
    assert.ok(!serialized.includes(TOKEN), "no token in the serialized provider");
    assert.ok(!serialized.includes(Buffer.from(TOKEN).toString("base64")), "nor its base64");
  });
});
