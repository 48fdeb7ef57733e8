// A video uploaded to Cloudflare Stream from a public URL ("upload via link", POST .../stream/copy).
//
// @pulumi/cloudflare's `cloudflare.Stream` resource has no argument for a source URL (nor for a file): its
// arguments only describe a video's settings. So this small dynamic resource makes that one call on create and
// deletes the video on destroy, with the API client that pulumi-cloudflare-stream-download exports.
import * as pulumi from "@pulumi/pulumi";
import {
  CloudflareClient,
  CONFIG_KEYS,
  DEFAULT_BASE_URL,
  ENV_VARS,
  NotFoundError,
} from "pulumi-cloudflare-stream-download";

/** Arguments of a {@link VideoFromUrl}. */
export interface VideoFromUrlArgs {
  /** The Cloudflare account ID. */
  accountId: pulumi.Input<string>;
  /** A public http(s) URL of the video file that Cloudflare fetches. */
  url: pulumi.Input<string>;
}

interface VideoInputs {
  accountId: string;
  url: string;
  name: string;
}

interface VideoOutputs extends VideoInputs {
  uid: string;
}

// Filled by `configure` in the provider process from the same stack config that StreamDownload and
// @pulumi/cloudflare read. Empty when Pulumi serializes the provider, so no credential ends up in the state.
const settings: { token?: string; baseUrl?: string } = {};

function client(): CloudflareClient {
  const token = settings.token ?? process.env[ENV_VARS.apiToken];
  if (!token) {
    throw new Error(`No Cloudflare API token: run "pulumi config set --secret ${CONFIG_KEYS.apiToken} <token>".`);
  }
  const baseUrl = settings.baseUrl ?? process.env[ENV_VARS.baseUrl] ?? DEFAULT_BASE_URL;
  return new CloudflareClient({ credentials: { kind: "token", token }, baseUrl });
}

const provider: pulumi.dynamic.ResourceProvider<VideoInputs, VideoOutputs> = {
  async configure(req) {
    settings.token = req.config.get(CONFIG_KEYS.apiToken);
    settings.baseUrl = req.config.get(CONFIG_KEYS.baseUrl);
  },
  // The video's content comes from the URL when it is created; another URL or account means another video.
  async diff(_id, olds, news) {
    const replaces = (["accountId", "url", "name"] as const).filter((key) => olds[key] !== news[key]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs) {
    const video = await client().copyVideo(inputs.accountId, inputs.url, { name: inputs.name });
    return { id: video.uid, outs: { ...inputs, uid: video.uid } };
  },
  async delete(id, props) {
    await client()
      .deleteVideo(props.accountId, id)
      .catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error; // already deleted, e.g. in the dashboard
      });
  },
};

/**
 * A Cloudflare Stream video uploaded from a URL. `pulumi up` returns as soon as Cloudflare accepted the URL; the
 * video is then downloaded and encoded by Cloudflare, which a StreamDownload of it waits for.
 */
export class VideoFromUrl extends pulumi.dynamic.Resource {
  /** The video's UID in Cloudflare Stream. */
  declare public readonly uid: pulumi.Output<string>;

  constructor(name: string, args: VideoFromUrlArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { accountId: args.accountId, url: args.url, name, uid: undefined },
      opts,
      "example",
      "VideoFromUrl",
    );
  }
}
