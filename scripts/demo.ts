/**
 * `npm run demo`: the whole life of a StreamDownload, on this machine, with no Cloudflare account.
 *
 * Starts the Cloudflare emulator on loopback, uploads a video through its upload-from-URL endpoint, then runs
 * the root Pulumi.yaml program with the real Pulumi CLI on a local file backend: `up` (creating the downloads
 * and waiting until they are ready), `refresh`, and `destroy`. Cleans up everything it made.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CloudflareClient } from "../src/core/client";
import { startEmulator } from "../src/emulator/server";
import { engineEnv, ensurePulumiCli, REPO } from "./engine";

const TOKEN = "demo-token";
const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";

function step(text: string): void {
  process.stdout.write(`\n==> ${text}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  step("Preparing the Pulumi CLI");
  const cli = ensurePulumiCli();
  console.log(`pulumi from ${cli}`);

  const emulator = await startEmulator({ token: TOKEN, generationMs: 6000, videoReadyMs: 7000 });
  const state = mkdtempSync(path.join(tmpdir(), "stream-download-demo-"));
  const stackName = `demo-${process.pid}`;
  try {
    step(`Cloudflare Stream emulator listening on ${emulator.baseUrl}`);
    const client = new CloudflareClient({ baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN } });
    const video = await client.copyVideo(ACCOUNT, "https://example.com/talks/keynote.mp4", { name: "keynote" });
    console.log(`uploaded a video from a URL: uid ${video.uid} (state ${video.status.state}, ready to stream in ~7 s)`);
    emulator.resetRequests();

    step(`pulumi up (stack ${stackName}, state in ${state})`);
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, workDir: REPO },
      {
        envVars: engineEnv({ PULUMI_BACKEND_URL: `file://${state}` }),
        pulumiHome: path.join(state, ".pulumi-home"),
      },
    );
    try {
      await stack.setAllConfig({
        accountId: { value: ACCOUNT },
        videoId: { value: video.uid },
        "cloudflare:apiToken": { value: TOKEN, secret: true },
        "cloudflare:baseUrl": { value: emulator.baseUrl },
      });
      const print = { onOutput: (out: string) => process.stdout.write(out) };
      const up = await stack.up(print);
      step("Stack outputs");
      for (const [key, output] of Object.entries(up.outputs)) {
        console.log(`${key}: ${JSON.stringify(output.value)}`);
      }
      const live = emulator.downloads(ACCOUNT, video.uid);
      console.log(`the emulator holds: default ${live.default?.status}, audio ${live.audio?.status}`);

      step("pulumi refresh");
      await stack.refresh(print);

      step("pulumi destroy");
      await stack.destroy(print);
      const left = emulator.storedDownloads(ACCOUNT, video.uid).length;
      console.log(`downloads left in the emulator: ${left}`);
      if (left !== 0) throw new Error(`destroy left ${left} download(s) behind`);
    } finally {
      await stack.workspace.removeStack(stackName).catch(() => undefined);
    }

    const requests = emulator.requests.length;
    step(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s; the provider sent ${requests} API requests in all`);
  } finally {
    await emulator.close();
    rmSync(state, { recursive: true, force: true });
    rmSync(path.join(REPO, `Pulumi.${stackName}.yaml`), { force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
