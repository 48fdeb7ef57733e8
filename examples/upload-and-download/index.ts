// Uploads a video to Cloudflare Stream from a URL, then declares MP4 and M4A downloads of it. Cloudflare still
// has to fetch and encode the fresh video; StreamDownload waits until it is ready to stream and until both
// downloads are generated, so the exported URLs work as soon as `pulumi up` ends.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { StreamDownload } from "pulumi-cloudflare-stream-download";
import { VideoFromUrl } from "./video";

const config = new pulumi.Config();
const accountId = config.require("accountId");

const video = new VideoFromUrl("talk", {
  accountId,
  url: config.require("videoUrl"),
});

const downloads = new StreamDownload("talk", {
  accountId,
  identifier: video.uid,
  downloadTypes: ["default", "audio"],
  // Encoding a fresh upload comes first, then generating the downloads: allow for both (seconds).
  readyTimeoutSeconds: config.getNumber("readyTimeoutSeconds") ?? 3600,
});

// Read back through @pulumi/cloudflare once the downloads exist: by then the video is ready to stream.
const details = cloudflare.getStreamOutput({ accountId, identifier: video.uid }, { dependsOn: [downloads] });

export const videoId = video.uid;
export const mp4Url = downloads.default.url;
export const m4aUrl = downloads.audio.url;
export const readyToStream = details.readyToStream;
export const durationSeconds = details.duration;
