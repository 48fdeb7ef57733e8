// Both faces in one Node.js program: the dynamic StreamDownload (this repository's source) and the provider
// plugin's, used through the SDK generated into sdk/nodejs. Their paths come from the environment.
import * as pulumi from "@pulumi/pulumi";

type Dynamic = typeof import("../../../src");
// The generated SDK's shape, as this program uses it (its sources are not held to this repository's compiler
// settings, so they are not imported for types here).
type Download = pulumi.Output<{ status: string; url: string } | undefined>;
interface Sdk {
  DownloadType: { Default: "default"; Audio: "audio" };
  StreamDownload: new (
    name: string,
    args: { accountId: string; identifier: string; downloadTypes?: ("default" | "audio")[] },
  ) => { id: pulumi.Output<string>; default: Download; audio: Download };
}
const dynamic = require(process.env.STREAM_DOWNLOAD_MODULE || "pulumi-cloudflare-stream-download") as Dynamic;
const sdk = require(process.env.CLOUDFLARE_STREAM_SDK || "pulumi-cloudflare-stream") as Sdk;

const config = new pulumi.Config();
const accountId = config.require("accountId");

const viaDynamic = new dynamic.StreamDownload("dynamic", { accountId, identifier: config.require("dynamicVideo") });
const viaPlugin = new sdk.StreamDownload("plugin", {
  accountId,
  identifier: config.require("pluginVideo"),
  downloadTypes: [sdk.DownloadType.Default, sdk.DownloadType.Audio],
});

export const dynamicStatus = viaDynamic.default.apply((d) => d?.status);
export const pluginId = viaPlugin.id;
export const pluginStatus = viaPlugin.default.apply((d) => d?.status);
export const pluginAudioUrl = viaPlugin.audio.apply((a) => a?.url);
