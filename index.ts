// The root Pulumi program: downloads of one Stream video. `npm run demo` runs it against the local
// emulator; against Cloudflare, set the keys below (see the README's "Example").
//
//   pulumi config set accountId <account id>
//   pulumi config set videoId <video uid>
//   pulumi config set downloadTypes '["default","audio"]'   # optional, default both
//   pulumi config set --secret cloudflare:apiToken <token with Stream Write>
import * as pulumi from "@pulumi/pulumi";
import { StreamDownload, type DownloadType } from "./src";

const config = new pulumi.Config();

const talk = new StreamDownload("talk", {
  accountId: config.require("accountId"),
  identifier: config.require("videoId"),
  downloadTypes: config.getObject<DownloadType[]>("downloadTypes") ?? ["default", "audio"],
});

export const mp4 = talk.default.url;
export const m4a = talk.audio.url;
export const status = pulumi.all([talk.default, talk.audio]).apply(([d, a]) => ({
  default: d?.status,
  audio: a?.status,
}));
