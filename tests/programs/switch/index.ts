// Switching one video's download from cloudflare.StreamDownload to this package's StreamDownload, as
// docs/switching.md says. Stack config `phase` is "old" (only the old resource) or "new" (only ours); `retainOld`
// marks the old resource `retainOnDelete`.
//
// The old resource is a STAND-IN for cloudflare.StreamDownload: the real @pulumi/cloudflare provider plugin cannot
// be downloaded on the machines these tests run on (no internet). It makes exactly the calls the bridged resource
// makes (Terraform's cloudflare_stream_download): create is the legacy `POST /accounts/{a}/stream/{id}/downloads`
// with an empty body (no download type: it makes the `default` download), its id is the account id, and delete is
// the legacy `DELETE /accounts/{a}/stream/{id}/downloads` (which removes the `default` download), a 404 failing.
// Credentials and the base URL come from CLOUDFLARE_API_TOKEN and CLOUDFLARE_BASE_URL when it runs.
import * as pulumi from "@pulumi/pulumi";

type Pkg = typeof import("../../../src");
const { StreamDownload } = require(process.env.STREAM_DOWNLOAD_MODULE || "pulumi-cloudflare-stream-download") as Pkg;

interface LegacyInputs {
  accountId: string;
  identifier: string;
}

/** One legacy call; resolves with the envelope's `result`, rejects on any failure (a 404 too, as the bridged one). */
async function legacyCall(method: "POST" | "DELETE", inputs: LegacyInputs): Promise<unknown> {
  const base = process.env.CLOUDFLARE_BASE_URL ?? "https://api.cloudflare.com/client/v4";
  const url = `${base}/accounts/${inputs.accountId}/stream/${inputs.identifier}/downloads`;
  const response = await (globalThis as unknown as { fetch: typeof fetch }).fetch(url, {
    method,
    headers: { Authorization: `Bearer ${process.env.CLOUDFLARE_API_TOKEN ?? ""}`, "Content-Type": "application/json" },
    ...(method === "POST" ? { body: "{}" } : {}),
  });
  const body = (await response.json()) as { success?: boolean; result?: unknown };
  if (!response.ok || body.success !== true) throw new Error(`${method} ${url.replace(base, "")}: ${response.status}`);
  return body.result;
}

const legacyProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LegacyInputs) {
    const result = (await legacyCall("POST", inputs)) as { status?: string; url?: string } | null;
    return { id: inputs.accountId, outs: { ...inputs, status: result?.status ?? "", url: result?.url ?? "" } };
  },
  async delete(_id: string, props: LegacyInputs) {
    await legacyCall("DELETE", props);
  },
};

class LegacyStreamDownload extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;
  constructor(name: string, args: LegacyInputs, opts?: pulumi.CustomResourceOptions) {
    super(legacyProvider, name, { ...args, status: undefined, url: undefined }, opts, "legacy", "StreamDownload");
  }
}

const config = new pulumi.Config();
const accountId = config.require("accountId");
const identifier = config.require("videoId");
const phase = config.require("phase");

export const oldUrl =
  phase === "old"
    ? new LegacyStreamDownload("old", { accountId, identifier }, { retainOnDelete: config.getBoolean("retainOld") }).url
    : undefined;
export const newDefault =
  phase === "new"
    ? new StreamDownload("talk", { accountId, identifier, downloadTypes: ["default"] }).default
    : undefined;
