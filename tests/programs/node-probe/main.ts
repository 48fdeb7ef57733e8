// Tests copy this file beside a copy of a program and make it the program's entry (package.json "main"): it
// runs the program's own index.ts unchanged and adds two outputs, the Node.js version of the program and that
// of the dynamic provider. One provider process serves every dynamic resource of a stack, so the probe's
// `create` runs in the very process that runs StreamDownload's create, read and delete.
import * as pulumi from "@pulumi/pulumi";

// @ts-expect-error the program's index.ts is beside this file only in the program's copy
export * from "./index";

const reportNodeVersion: pulumi.dynamic.ResourceProvider = {
  // Runs in the dynamic provider process, so `process` is that process.
  async create() {
    return { id: "node-probe", outs: { nodeVersion: process.version } };
  },
};

class NodeProbe extends pulumi.dynamic.Resource {
  declare readonly nodeVersion: pulumi.Output<string>;
  constructor(name: string) {
    super(reportNodeVersion, name, { nodeVersion: undefined });
  }
}

/** `process.version` of the program. */
export const programNodeVersion = process.version;
/** `process.version` of the dynamic provider process. */
export const providerNodeVersion = new NodeProbe("node-probe").nodeVersion;
