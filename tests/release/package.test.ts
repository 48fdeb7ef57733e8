/**
 * The package as published: what `npm pack` puts in the tarball, and whether that tarball, installed into an
 * empty folder, works from JavaScript, from TypeScript, and through Pulumi's serialization of the provider.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { packTarball, REPO, repoVersionOf, tempDir } from "../helpers/pack";

const NAME = "pulumi-cloudflare-stream-download";

/** Files every tarball must hold, relative to its `package/` folder. */
const REQUIRED = [
  "package.json",
  "README.md",
  "LICENSE",
  "CHANGELOG.md",
  "dist/index.js",
  "dist/index.d.ts",
  "dist/handler.js",
  "dist/handler.d.ts",
  "dist/dynamic/provider.js",
  "dist/core/operations.js",
  "dist/emulator/index.js",
  "dist/emulator/index.d.ts",
  "dist/emulator/main.js",
  "dist/emulator/server.js",
  "dist/emulator/server.d.ts",
  "dist/native/main.js",
  "schema.json",
];

/** What may be in the tarball at all. */
const ALLOWED = [
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|schema\.json)$/,
  /^dist\/(.+\/)?[^/]+(\.d\.ts|\.js)$/,
];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 5 * 60 * 1000,
  });
}

describe("the npm package", function () {
  this.timeout(10 * 60 * 1000);
  let tarball: string;
  let files: string[];

  before(() => {
    tarball = packTarball();
    files = run("tar", ["-tzf", tarball], REPO)
      .split("\n")
      .filter((line) => line !== "" && !line.endsWith("/"))
      .map((line) => line.replace(/^package\//, ""))
      .sort();
  });

  it("holds compiled JavaScript, declarations, README, LICENSE, CHANGELOG, package.json and schema.json, and nothing else", () => {
    assert.deepEqual(
      files.filter((file) => !ALLOWED.some((re) => re.test(file))),
      [],
      "unexpected files in the tarball (sources, tests, maps, state?)",
    );
    assert.deepEqual(
      REQUIRED.filter((file) => !files.includes(file)),
      [],
      "files missing from the tarball",
    );
  });

  it("ships a declaration for every compiled module, and only modules compiled from current sources", () => {
    const modules = files.filter((f) => f.endsWith(".js")).map((f) => f.slice("dist/".length, -".js".length));
    const declarations = files.filter((f) => f.endsWith(".d.ts")).map((f) => f.slice("dist/".length, -".d.ts".length));
    assert.deepEqual(declarations, modules, "each dist/X.js comes with dist/X.d.ts");
    const stale = modules.filter((m) => !existsSync(path.join(REPO, "src", `${m}.ts`)));
    assert.deepEqual(stale, [], "compiled modules without a source in src/");
  });

  it("declares entry points that are all in the tarball", () => {
    const pkg = require(path.join(REPO, "package.json")) as {
      main: string;
      types: string;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t))),
    ];
    const concrete = targets.filter((t) => !t.includes("*")).map((t) => t.replace(/^\.\//, ""));
    assert.deepEqual(
      concrete.filter((t) => !files.includes(t)),
      [],
      "package.json points at files missing from the tarball",
    );
  });

  describe("installed from the tarball into an empty folder", () => {
    let app: string;

    before(() => {
      app = tempDir("sd-install-");
      writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "sd-install-check", private: true }));
      run(
        "npm",
        [
          "install",
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          tarball,
          `@pulumi/pulumi@${repoVersionOf("@pulumi/pulumi")}`,
          `typescript@${repoVersionOf("typescript")}`,
        ],
        app,
      );
    });

    it("loads from plain JavaScript, with the provider module at the path that state refers to", () => {
      const script = `
        const pkg = require(${JSON.stringify(NAME)});
        const handler = require(${JSON.stringify(`${NAME}/dist/handler.js`)});
        console.log(JSON.stringify({
          StreamDownload: typeof pkg.StreamDownload,
          create: typeof pkg.streamDownloadProvider.create,
          provider: typeof handler.create,
          same: handler === pkg.streamDownloadProvider,
          resolved: require.resolve(${JSON.stringify(NAME)}),
        }));`;
      const result = JSON.parse(run(process.execPath, ["-e", script], app)) as Record<string, string>;
      assert.deepEqual(
        { StreamDownload: result.StreamDownload, create: result.create, provider: result.provider, same: result.same },
        { StreamDownload: "function", create: "function", provider: "function", same: true },
      );
      assert.equal(result.resolved, path.join(app, "node_modules", NAME, "dist", "index.js"));
    });

    it("is serialized by Pulumi as a require of dist/handler.js that the dynamic provider can load back", () => {
      // What pulumi.dynamic.Resource stores as `__provider`, and what the dynamic provider process then does
      // with it (require the text, call handler()). A package.json `exports` map without dist/handler.js would
      // make the serialization throw "package.json export path ... not found".
      const script = `
        const fs = require("node:fs");
        const pulumi = require("@pulumi/pulumi");
        const { streamDownloadProvider } = require(${JSON.stringify(NAME)});
        pulumi.runtime.serializeFunction(() => streamDownloadProvider, { allowSecrets: true }).then((fn) => {
          fs.writeFileSync("provider.js", fn.text);
          const loaded = require("./provider.js").handler();
          console.log(JSON.stringify({ text: fn.text, create: typeof loaded.create, delete: typeof loaded.delete }));
        });`;
      const result = JSON.parse(run(process.execPath, ["-e", script], app)) as Record<string, string>;
      const text = result.text ?? "";
      const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual(requires, [`${NAME}/dist/handler.js`], "one require of the package subpath");
      assert.ok(!text.includes(app), "nothing that depends on where node_modules is");
      assert.ok(text.length < 600, `a small text: ${text.length} characters`);
      assert.deepEqual({ create: result.create, delete: result.delete }, { create: "function", delete: "function" });
    });

    it("type-checks a TypeScript program that declares a StreamDownload and uses its URLs", () => {
      writeFileSync(
        path.join(app, "index.ts"),
        [
          `import * as pulumi from "@pulumi/pulumi";`,
          `import { StreamDownload, type DownloadInfo } from "${NAME}";`,
          `import { startEmulator, type EmulatorOptions } from "${NAME}/emulator";`,
          ``,
          `const talk = new StreamDownload("talk", {`,
          `  accountId: "023e105f4ecef8ad9ca31a8372d0c353",`,
          `  identifier: "ea95132c15732412d22c1476fa83f27a",`,
          `  downloadTypes: ["default", "audio"],`,
          `});`,
          `export const mp4: pulumi.Output<string> = talk.default.url;`,
          `export const m4a: pulumi.Output<DownloadInfo> = talk.audio;`,
          `const options: EmulatorOptions = { port: 0, postShape: "keyed", progress: "coarse" };`,
          `export const emulator = startEmulator(options);`,
          `// @ts-expect-error "list" is not a post shape`,
          `startEmulator({ postShape: "list" });`,
          ``,
          `// The declarations are real types, not any: an unknown download type is an error.`,
          `// @ts-expect-error "video" is not a download type`,
          `new StreamDownload("bad", { accountId: "a", identifier: "b", downloadTypes: ["video"] });`,
          ``,
        ].join("\n"),
      );
      const tsc = path.join(app, "node_modules", "typescript", "bin", "tsc");
      const flags = ["--noEmit", "--strict", "--skipLibCheck", "--target", "ES2022"];
      // The classic CommonJS resolution of Pulumi's project template, and Node's resolution, which reads `exports`.
      for (const resolution of [
        ["--module", "commonjs", "--moduleResolution", "node10"],
        ["--module", "node16", "--moduleResolution", "node16"],
      ]) {
        try {
          run(process.execPath, [tsc, ...flags, ...resolution, "index.ts"], app);
        } catch (error) {
          const e = error as { stdout?: string; stderr?: string };
          assert.fail(`tsc ${resolution.join(" ")} found errors:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
        }
      }
    });

    it(`serves the emulator from require("${NAME}/emulator") and stops it`, () => {
      const script = `
        const { startEmulator, Emulator } = require(${JSON.stringify(`${NAME}/emulator`)});
        (async () => {
          const emulator = await startEmulator({ postShape: "keyed" });
          const account = "0123456789abcdef0123456789abcdef";
          const uid = emulator.createVideo(account);
          const url = emulator.baseUrl + "/accounts/" + account + "/stream/" + uid + "/downloads/audio";
          const response = await fetch(url, { method: "POST", headers: { Authorization: "Bearer test-token" } });
          const body = await response.json();
          await emulator.close();
          console.log(JSON.stringify({
            isEmulator: emulator instanceof Emulator,
            status: response.status,
            keys: Object.keys(body.result),
            resolved: require.resolve(${JSON.stringify(`${NAME}/emulator`)}),
          }));
        })();`;
      const result = JSON.parse(run(process.execPath, ["-e", script], app)) as Record<string, unknown>;
      assert.deepEqual(result, {
        isEmulator: true,
        status: 200,
        keys: ["audio"],
        resolved: path.join(app, "node_modules", NAME, "dist", "emulator", "index.js"),
      });
    });

    it("installs the cloudflare-stream-emulator command, which serves in the dialect asked for and stops on SIGTERM", async () => {
      const bin = path.join(app, "node_modules", ".bin", "cloudflare-stream-emulator");
      const child = spawn(bin, ["--port", "0", "--post-shape", "keyed", "--token", "bin-token"], {
        cwd: app,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        const baseUrl = await new Promise<string>((resolve, reject) => {
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const match = /^Cloudflare Stream emulator listening on (http:\/\/127\.0\.0\.1:\d+\/client\/v4)\n/.exec(
              stdout,
            );
            if (match?.[1]) resolve(match[1]);
          });
          child.once("error", reject);
          void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
        });
        const account = "0123456789abcdef0123456789abcdef";
        const headers = { Authorization: "Bearer bin-token", "Content-Type": "application/json" };
        const copied = await fetch(`${baseUrl}/accounts/${account}/stream/copy`, {
          method: "POST",
          headers,
          body: JSON.stringify({ url: "https://example.com/v.mp4" }),
        });
        const uid = ((await copied.json()) as { result: { uid: string } }).result.uid;
        const created = await fetch(`${baseUrl}/accounts/${account}/stream/${uid}/downloads/default`, {
          method: "POST",
          headers,
        });
        const body = (await created.json()) as { result: Record<string, { status: string }> };
        assert.equal(created.status, 200);
        assert.deepEqual(Object.keys(body.result), ["default"], "keyed by type, as --post-shape keyed asks");
        assert.equal(body.result.default?.status, "inprogress");
      } finally {
        child.kill("SIGTERM");
      }
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /POST \/accounts\/[0-9a-f]{32}\/stream\/[0-9a-f]{32}\/downloads\/default 200 \d+ms/);
    });

    it("installs the pulumi-resource-cloudflare-stream plugin, which prints its port and serves its version and schema", async () => {
      const { ResourceProviderClient } = await import("@pulumi/pulumi/proto/provider_grpc_pb");
      const { GetSchemaRequest } = await import("@pulumi/pulumi/proto/provider_pb");
      const { Empty } = await import("google-protobuf/google/protobuf/empty_pb");
      const grpc = await import("@grpc/grpc-js");
      const bin = path.join(app, "node_modules", ".bin", "pulumi-resource-cloudflare-stream");
      const child = spawn(bin, [], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const port = await new Promise<string>((resolve, reject) => {
          let out = "";
          child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const match = /^(\d+)\n/.exec(out);
            if (match?.[1]) resolve(match[1]);
          });
          child.once("exit", (code) => reject(new Error(`exited ${code} before printing its port: ${stderr}`)));
        });
        const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const version = await new Promise<string>((resolve, reject) =>
          client.getPluginInfo(new Empty(), (e, r) => (e ? reject(e) : resolve(r.getVersion()))),
        );
        const schema = await new Promise<string>((resolve, reject) =>
          client.getSchema(new GetSchemaRequest(), (e, r) => (e ? reject(e) : resolve(r.getSchema()))),
        );
        client.close();
        assert.equal(version, (require(path.join(REPO, "package.json")) as { version: string }).version);
        assert.equal((JSON.parse(schema) as { name: string }).name, "cloudflare-stream");
      } finally {
        child.kill("SIGTERM");
      }
    });
  });
});
