// A Pulumi program whose StreamDownload resources come from stack config, so one program serves every
// engine-level test. STREAM_DOWNLOAD_MODULE picks the package: the repo's source, or the installed tarball.
import * as pulumi from "@pulumi/pulumi";
import type { ResourceSpec as Spec } from "./spec";

type Pkg = typeof import("../../../src");
const { StreamDownload } = require(process.env.STREAM_DOWNLOAD_MODULE || "pulumi-cloudflare-stream-download") as Pkg;

const config = new pulumi.Config();
const specs = config.requireObject<Spec[]>("resources");

export const downloads = Object.fromEntries(
  specs.map((spec) => {
    const { name, secret = [], ...args } = spec;
    const hidden = (key: "accountId" | "identifier") => (secret.includes(key) ? pulumi.secret(args[key]) : args[key]);
    const r = new StreamDownload(name, { ...args, accountId: hidden("accountId"), identifier: hidden("identifier") });
    return [name, { id: r.id, default: r.default, audio: r.audio }];
  }),
);
