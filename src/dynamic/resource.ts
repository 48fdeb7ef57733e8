/**
 * The public resource class and its arguments.
 */
import * as pulumi from "@pulumi/pulumi";
import { DOWNLOAD_TYPES, type DownloadType } from "../core/download-types";
import type { DownloadInfo, StreamDownloadInputs, StreamDownloadOutputs } from "../core/types";
import * as handler from "../handler";

/**
 * The one shared provider instance, used by every StreamDownload: the `handler` module itself. Pulumi writes a
 * module installed under node_modules into state as a `require` of its path, so each resource's state holds one
 * line instead of the provider's code (see handler.ts); one instance keeps Pulumi's serialization cache warm.
 */
export const streamDownloadProvider: pulumi.dynamic.ResourceProvider<StreamDownloadInputs, StreamDownloadOutputs> =
  handler;

/**
 * One output per row of the download-type table (core/download-types.ts): a type added there without its
 * property on {@link StreamDownload} fails to compile.
 */
export type DownloadTypeOutputs = { readonly [T in DownloadType]: pulumi.Output<DownloadInfo> };

/** Arguments of a {@link StreamDownload}. */
export interface StreamDownloadArgs {
  /** The Cloudflare account ID: 32 lowercase hexadecimal characters. Changing it replaces the resource. */
  accountId: pulumi.Input<string>;
  /** The video's UID in Cloudflare Stream: 32 lowercase hexadecimal characters. Changing it replaces the resource. */
  identifier: pulumi.Input<string>;
  /**
   * Which downloads to create: `"default"` (an MP4 of the video) and/or `"audio"` (an M4A of its sound).
   * Changing the list adds or deletes downloads in place.
   * @default ["default"]
   */
  downloadTypes?: pulumi.Input<pulumi.Input<DownloadType>[]>;
  /**
   * Whether `pulumi up` waits until every download is `ready` (so its URL works when the deployment ends).
   * With false, create returns as soon as Cloudflare accepted the request; `pulumi refresh` updates the status.
   * @default true
   */
  waitForReady?: pulumi.Input<boolean>;
  /**
   * The longest time to wait, in seconds, for the video to be ready to stream and then for its downloads to be
   * generated. Past it, the deployment fails and the downloads it created are deleted again.
   * @default 1800
   */
  readyTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * Downloadable MP4 and M4A files of a Cloudflare Stream video. `pulumi up` creates them and waits until they
 * are ready, `pulumi refresh` reads their live status, and `pulumi destroy` deletes them. Downloads of the video
 * that already exist are adopted rather than generated again.
 *
 * Credentials come from stack config `cloudflare:apiToken` (or `cloudflare:apiKey` and `cloudflare:email`),
 * else from `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_API_KEY` and `CLOUDFLARE_EMAIL`).
 *
 * @example
 * ```ts
 * import { StreamDownload } from "pulumi-cloudflare-stream-download";
 *
 * const talk = new StreamDownload("talk", {
 *   accountId: "023e105f4ecef8ad9ca31a8372d0c353",
 *   identifier: "ea95132c15732412d22c1476fa83f27a",
 *   downloadTypes: ["default", "audio"],
 * });
 * export const mp4 = talk.default.url;
 * export const m4a = talk.audio.url;
 * ```
 */
export class StreamDownload extends pulumi.dynamic.Resource implements DownloadTypeOutputs {
  /** The Cloudflare account ID. */
  declare public readonly accountId: pulumi.Output<string>;
  /** The video's UID. */
  declare public readonly identifier: pulumi.Output<string>;
  /** The managed download types. */
  declare public readonly downloadTypes: pulumi.Output<DownloadType[]>;
  /** Whether create waits for readiness. */
  declare public readonly waitForReady: pulumi.Output<boolean>;
  /** The readiness deadline, in seconds. */
  declare public readonly readyTimeoutSeconds: pulumi.Output<number>;
  /**
   * The MP4 download: `{ status, percentComplete, url }`. Undefined when `"default"` is not in `downloadTypes`.
   */
  declare public readonly default: pulumi.Output<DownloadInfo>;
  /**
   * The M4A audio download: `{ status, percentComplete, url }`. Undefined when `"audio"` is not in `downloadTypes`.
   */
  declare public readonly audio: pulumi.Output<DownloadInfo>;
  /**
   * Whether the video requires signed URLs. When true, the download URLs answer 401 until the video uid in them
   * is replaced by a signed token that allows downloads (`downloadable: true`); see docs/signed-urls.md.
   */
  declare public readonly requireSignedURLs: pulumi.Output<boolean>;

  /**
   * @param name the unique name of the resource in the program
   * @param args which video and which downloads
   * @param opts resource options; `customTimeouts` has no effect on dynamic resources, use `readyTimeoutSeconds`
   */
  constructor(name: string, args: StreamDownloadArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      streamDownloadProvider,
      name,
      {
        accountId: args.accountId,
        identifier: args.identifier,
        downloadTypes: args.downloadTypes,
        waitForReady: args.waitForReady,
        readyTimeoutSeconds: args.readyTimeoutSeconds,
        // Outputs the provider fills: one per download type, and the video's signing requirement.
        ...Object.fromEntries(DOWNLOAD_TYPES.map((type) => [type, undefined])),
        requireSignedURLs: undefined,
      },
      opts,
      "cloudflare",
      "StreamDownload",
    );
  }
}
