// Downloads of a video that is already in Cloudflare Stream: an MP4 ("default") and an M4A ("audio").
// `pulumi up` creates both and waits until they are ready, so the exported URLs work when it ends.
import * as pulumi from "@pulumi/pulumi";
import { StreamDownload } from "pulumi-cloudflare-stream-download";

const config = new pulumi.Config();

const talk = new StreamDownload("talk", {
  accountId: config.require("accountId"),
  identifier: config.require("videoId"),
  downloadTypes: ["default", "audio"],
});

export const mp4Url = talk.default.url;
export const m4aUrl = talk.audio.url;
