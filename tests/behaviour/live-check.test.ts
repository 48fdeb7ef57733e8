/**
 * The live check (`npm run live-check`), run against emulators standing in for Cloudflare: in the default
 * dialect it must find nothing, in another dialect it must name the difference, and it must only ever delete
 * what it created. Never run against the real API here.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main, parseArgs, UsageError } from "../../scripts/live-check";
import { compareResults } from "../../scripts/live-check/shape";
import { Redactor } from "../../scripts/live-check/transcript";
import { type Clock, virtualClock } from "../../src/core/clock";
import { type EmulatorOptions, startEmulator, type Emulator } from "../../src/emulator/server";
import { cfId, TOKEN } from "../helpers/fixtures";

const REPO_ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(REPO_ROOT, "tests", "fixtures", "live-check-keyed.json");
/** Written by hand from the example answers in Cloudflare's published API reference (see its note). */
const DOCUMENTED = path.join(REPO_ROOT, "tests", "fixtures", "live-check-documented.json");
const LAST_LINE = /^live-check: (\d+) calls, (\d+) differences from the emulator$/;

/** The environment of a child process, without any Cloudflare credential of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("CLOUDFLARE_")) env[key] = value;
  return { ...env, ...extra };
}

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** The virtual clock of each stand-in on one (by its base URL): the one a run against it waits on. */
const clocks = new Map<string, Clock>();

/** Runs the command in this process, on the clock of the stand-in it talks to (when it has one). */
async function runInProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const clock = clocks.get(env.CLOUDFLARE_BASE_URL ?? "");
  const code = await main(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, undefined, clock);
  return { code, out, err };
}

/** Runs the command as a user does, in its own process. */
function runProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/live-check.ts", ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      resolve({ code: code ?? -1, out: stdout.split("\n").filter(Boolean), err: stderr.split("\n").filter(Boolean) }),
    );
  });
}

function lastLine(run: Run): { calls: number; differences: number } {
  const match = LAST_LINE.exec(run.out[run.out.length - 1] ?? "");
  assert.ok(match, `last line is the summary:\n${run.out.join("\n")}\n${run.err.join("\n")}`);
  return { calls: Number(match[1]), differences: Number(match[2]) };
}

function differenceLines(run: Run): string[] {
  return run.out.filter((l) => l.startsWith("difference: "));
}

/** Every string in a JSON value, keys and values, however deep. */
function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      out.push(key);
      allStrings(v, out);
    }
  }
  return out;
}

/**
 * Asserts that no private value (credential, email, account id, video uid, customer code) appears, in any case,
 * in any string of the transcript file (when given) or in any line the run printed.
 */
function assertNothingPrivate(what: string, run: Run, file: string | undefined, secrets: Record<string, string>): void {
  const texts: Array<[string, string]> = [...run.out, ...run.err].map((l) => ["console", l]);
  if (file !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    for (const s of allStrings(parsed)) texts.push(["transcript", s]);
  }
  assert.ok(texts.length > 0, `${what}: something was printed or written`);
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [where, text] of texts) {
      assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `${what}: the ${where} shows the ${name}: ${text}`);
    }
  }
}

describe("live check", function () {
  this.timeout(60_000);
  const emulators: Emulator[] = [];
  let dir: string;

  /**
   * An emulator standing in for Cloudflare, with one video ready to stream. On virtual time (the default), it
   * generates only as a run in this process waits on its clock: no real time, the same on a loaded machine. A
   * run in a child process needs it on real time.
   */
  async function standIn(
    options: EmulatorOptions = {},
    time: "virtual" | "real" = "virtual",
  ): Promise<{ emulator: Emulator; account: string; video: string }> {
    // It stands in for Cloudflare: download URLs of Cloudflare's form.
    const clock = time === "virtual" ? virtualClock() : undefined;
    const emulator = await startEmulator({
      token: TOKEN,
      generationMs: 1500,
      downloadUrls: "cloudflare",
      ...(clock ? { now: clock.now } : {}),
      ...options,
    });
    if (clock) clocks.set(emulator.baseUrl, clock);
    emulators.push(emulator);
    const account = cfId();
    return { emulator, account, video: emulator.createVideo(account) };
  }

  function envFor(emulator: Emulator): NodeJS.ProcessEnv {
    return cleanEnv({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: emulator.baseUrl });
  }

  before(() => (dir = mkdtempSync(path.join(tmpdir(), "live-check-"))));
  after(async () => {
    await Promise.all(emulators.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe("against an emulator in the default dialect", () => {
    it("reports 0 differences, and deletes only the download it created, leaving the existing one alone", async () => {
      const { emulator, account, video } = await standIn();
      emulator.createDownload(account, video, "default", { ready: true });
      const run = await runInProcess(
        ["--account", account, "--video", video, "--types", "default,audio"],
        envFor(emulator),
      );

      assert.equal(run.code, 0, run.out.join("\n"));
      assert.deepEqual(differenceLines(run), []);
      const { calls, differences } = lastLine(run);
      assert.equal(differences, 0);
      assert.equal(calls, emulator.requests.length, "one line per call to the stand-in, and every call counted");
      const deletes = emulator.requests.filter((r) => r.method === "DELETE").map((r) => r.path);
      assert.deepEqual(deletes, [`/accounts/${account}/stream/${video}/downloads/audio`]);
      assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 1, "created only the missing type");
      assert.deepEqual(
        emulator.allDownloads().map((d) => [d.uid, d.type, d.status]),
        [[video, "default", "ready"]],
        "the download that existed before is still there",
      );
    });

    it("prints one line per call with method, redacted path, status and shape, never the ids or the token", async () => {
      const { emulator, account, video } = await standIn();
      const run = await runInProcess(["--account", account, "--video", video, "--types", "default"], envFor(emulator));

      assert.equal(run.code, 0);
      const callLines = run.out.filter((l) => /^(GET|POST|DELETE) /.test(l));
      assert.equal(callLines.length, emulator.requests.length);
      assert.match(callLines[0] ?? "", /^GET \/accounts\/<account>\/stream\/<video> 200 video: readyToStream true/);
      assert.match(
        callLines.find((l) => l.startsWith("POST")) ?? "",
        /^POST \/accounts\/<account>\/stream\/<video>\/downloads\/default 200 single download: inprogress/,
      );
      assert.match(callLines[callLines.length - 1] ?? "", /^DELETE .*\/downloads\/default 200 a string "ok"$/);
      const all = [...run.out, ...run.err].join("\n");
      for (const secret of [TOKEN, account, video]) assert.ok(!all.includes(secret), `output leaks ${secret}`);
      assert.deepEqual(emulator.allDownloads(), []);
    });
  });

  describe("against an emulator in another dialect", () => {
    it("names the create's result keyed by type (postShape keyed)", async () => {
      const { emulator, account, video } = await standIn({ postShape: "keyed" });
      const run = await runInProcess(["--account", account, "--video", video, "--types", "default"], envFor(emulator));

      assert.equal(run.code, 0);
      assert.deepEqual(differenceLines(run), [
        "difference: POST downloads/default $ (form): live keyed by type, emulator single download",
      ]);
      assert.equal(lastLine(run).differences, 1);
    });

    it("names percentComplete sent as a numeric string (downloadDialect.percentAsString)", async () => {
      const { emulator, account, video } = await standIn({ downloadDialect: { percentAsString: true } });
      const run = await runInProcess(["--account", account, "--video", video, "--types", "audio"], envFor(emulator));

      assert.equal(run.code, 0);
      const lines = differenceLines(run);
      assert.ok(
        lines.includes("difference: POST downloads/audio $.percentComplete: live a numeric string, emulator a number"),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) =>
          /^difference: GET downloads \(wait 1.*after\) \$\.audio\.percentComplete: live a numeric string, emulator a number$/.test(
            l,
          ),
        ),
        lines.join("\n"),
      );
      assert.equal(lastLine(run).differences, lines.length);
    });

    for (const [emptyList, form] of [
      ["null", "null"],
      ["absent", "no result"],
      ["array", "[]"],
    ] as const) {
      it(`names an empty list sent as ${form} as a difference, not a failure (emptyList ${emptyList})`, async () => {
        const { emulator, account, video } = await standIn({ emptyList });
        const run = await runInProcess(
          ["--account", account, "--video", video, "--types", "default"],
          envFor(emulator),
        );

        assert.equal(run.code, 0, run.out.join("\n"));
        assert.ok(run.out.includes(`GET /accounts/<account>/stream/<video>/downloads 200 downloads: none (${form})`));
        assert.deepEqual(differenceLines(run), [
          `difference: GET downloads (before) $: live no downloads as ${form}, emulator no downloads as {}`,
        ]);
        assert.deepEqual(emulator.allDownloads(), [], "it created the download, then deleted it");
        assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 1);
      });
    }

    it("names an undocumented status and a download without its url while in progress", async () => {
      const { emulator, account, video } = await standIn({
        generationMs: 3000,
        downloadDialect: { extraStatus: "queued", omitUrlWhileInProgress: true },
      });
      const run = await runInProcess(["--account", account, "--video", video, "--types", "default"], envFor(emulator));

      assert.equal(run.code, 0);
      const lines = differenceLines(run);
      assert.ok(
        lines.some((l) =>
          /^difference: POST downloads\/default \$\.status: live "queued" \(not a documented status/.test(l),
        ),
        lines.join("\n"),
      );
      assert.ok(
        lines.includes("difference: POST downloads/default $.url: live absent, emulator a string"),
        lines.join("\n"),
      );
      assert.deepEqual(emulator.allDownloads(), []);
    });
  });

  describe("failures", () => {
    it("exits 2 without credentials, naming the environment variables, and sends no request", async () => {
      const { emulator, account, video } = await standIn();
      const run = await runProcess(
        ["--account", account, "--video", video],
        cleanEnv({ CLOUDFLARE_BASE_URL: emulator.baseUrl }),
      );

      assert.equal(run.code, 2);
      const message = run.err.join("\n");
      for (const name of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"]) {
        assert.ok(message.includes(name), `the message names ${name}: ${message}`);
      }
      assert.equal(emulator.requests.length, 0);
    });

    it("exits 2 on a bad flag, naming the flag and its value", async () => {
      const account = cfId();
      const video = cfId();
      const cases: Array<[string[], RegExp]> = [
        [["--account", "ABC", "--video", video], /--account: "ABC"/],
        [["--account", account, "--video", video, "--types", "default,hls"], /--types: "default,hls"/],
        [["--account", account, "--video", video, "--timeout", "0"], /--timeout: "0"/],
        [["--account", account, "--video", video, "--colour", "red"], /unknown flag: --colour/],
        [["--replay", FIXTURE, "--account", account], /--replay .* no --account/],
        [["--video", video], /--account is required/],
      ];
      for (const [args, message] of cases) {
        const run = await runInProcess(args, cleanEnv({ CLOUDFLARE_API_TOKEN: TOKEN }));
        assert.equal(run.code, 2, args.join(" "));
        assert.match(run.err.join("\n"), message);
        assert.deepEqual(run.out, []);
      }
      assert.throws(() => parseArgs(["--types", "audio,audio"]), UsageError);
    });

    it("exits 1 when the live API fails, after deleting what it had created", async () => {
      const { emulator, account, video } = await standIn();
      emulator.addFault({ method: "GET", path: /\/downloads$/, skip: 1, fault: { kind: "status", status: 403 } });
      const run = await runInProcess(["--account", account, "--video", video, "--types", "default"], envFor(emulator));

      assert.equal(run.code, 1);
      assert.match(run.out.join("\n"), /the live API failed after \d+ calls: Cloudflare API 403/);
      assert.ok(!run.out.join("\n").includes(account), "the account id is redacted in the message");
      assert.equal(emulator.requests[emulator.requests.length - 1]?.method, "DELETE");
      assert.deepEqual(emulator.allDownloads(), []);
    });

    it("on Ctrl-C while waiting, deletes what it created and exits 130", async () => {
      const { emulator, account, video } = await standIn({ generationMs: 60_000 }, "real");
      emulator.createDownload(account, video, "audio", { ready: true });
      const child = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "scripts/live-check.ts", "--account", account, "--video", video],
        { cwd: REPO_ROOT, env: envFor(emulator), stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/^POST .*downloads\/default 200/m.test(stdout)) resolve();
        }),
      );
      child.kill("SIGINT");

      assert.equal(await exited, 130);
      assert.match(stdout, /interrupted after \d+ calls; deleted what it had created/);
      assert.deepEqual(
        emulator.allDownloads().map((d) => d.type),
        ["audio"],
        "the download it created is gone, the one that existed is not",
      );
    });

    it("exits 2 and creates nothing when the video is not ready to stream", async () => {
      const { emulator, account } = await standIn();
      const video = emulator.createVideo(account, { readyMs: 60_000 });
      const run = await runInProcess(["--account", account, "--video", video], envFor(emulator));

      assert.equal(run.code, 2);
      assert.match(run.out.join("\n"), /not ready to stream .*nothing was created/);
      assert.deepEqual(
        emulator.requests.map((r) => r.method),
        ["GET"],
      );
    });
  });

  describe("the transcript", () => {
    it("holds every call, and neither the token, the account id, the video id nor the customer code", async () => {
      const customerCode = "abcdefgh12345678";
      const { emulator, account, video } = await standIn({ customerCode }, "real");
      const file = path.join(dir, "transcript.json");
      const run = await runProcess(
        ["--account", account, "--video", video, "--types", "default,audio", "--json", file],
        envFor(emulator),
      );

      assert.equal(run.code, 0, run.err.join("\n"));
      assert.equal(lastLine(run).differences, 0);
      const text = readFileSync(file, "utf8");
      for (const secret of [TOKEN, account, video, customerCode]) {
        assert.ok(!text.includes(secret), `the transcript leaks ${secret}`);
      }
      const transcript = JSON.parse(text) as { calls: Array<{ method: string; path: string; status: number }> };
      assert.equal(transcript.calls.length, emulator.requests.length);
      assert.deepEqual(transcript.calls[0], {
        ...transcript.calls[0],
        method: "GET",
        path: "/accounts/<account>/stream/<video>",
        status: 200,
      });
      assert.ok(text.includes("https://customer-<code>.cloudflarestream.com/<video>/downloads/default.mp4"));
    });

    it("replays the committed fixture (made in the keyed dialect) and reports the keyed shape, with no credentials", async () => {
      const run = await runInProcess(["--replay", FIXTURE], cleanEnv());

      assert.equal(run.code, 0, run.err.join("\n"));
      assert.deepEqual(differenceLines(run), [
        "difference: POST downloads/default, POST downloads/audio $ (form): live keyed by type, emulator single download",
      ]);
      assert.deepEqual(lastLine(run), { calls: 9, differences: 1 });
    });

    it("replays the fixture written by hand from Cloudflare's documented examples, and names where they differ from our reading", async () => {
      const run = await runInProcess(["--replay", DOCUMENTED], cleanEnv());

      assert.equal(run.code, 0, run.err.join("\n"));
      // The documents' examples agree with the emulator's default dialect in every shape (the single download as
      // the create's answer, numbers as numbers, documented statuses) but one: their audio download's URL names
      // default.mp4, where the documented form (and the emulator) says audio.m4a.
      const wrongUrl = (where: string) =>
        `difference: ${where}: live "https://customer-<code>.cloudflarestream.com/<video>/downloads/default.mp4", ` +
        "emulator the documented form https://customer-<code>.cloudflarestream.com/<video>/downloads/audio.m4a";
      assert.deepEqual(differenceLines(run), [
        wrongUrl("POST downloads/audio $.url"),
        wrongUrl("GET downloads (wait 1, after) $.audio.url"),
      ]);
      assert.deepEqual(lastLine(run), { calls: 7, differences: 2 });
      // The documents' example ids and customer code are redacted on the way in, like a live run's.
      const printed = run.out.join("\n");
      for (const id of ["023e105f4ecef8ad9ca31a8372d0c353", "ea95132c15732412d22c1476fa83f27a", "m033z5x00ks6nunl"]) {
        assert.ok(!printed.includes(id), `the replay prints ${id}`);
      }
      assert.match(
        printed,
        /^POST \/accounts\/<account>\/stream\/<video>\/downloads\/default 200 single download: ready/m,
      );
    });

    it("refuses a file that is not a transcript, naming it, with exit 2", async () => {
      const file = path.join(dir, "not-a-transcript.json");
      writeFileSync(file, JSON.stringify({ calls: [] }));
      const run = await runInProcess(["--replay", file], cleanEnv());

      assert.equal(run.code, 2);
      assert.match(
        run.err.join("\n"),
        new RegExp(`"${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" is not a live-check transcript`),
      );
    });
  });

  describe("nothing private, on every path (every string of the transcript and every console line)", () => {
    const customerCode = "zq8x4k2m9v7w3y5t";
    const apiKey = "c2547eb745079dac9320b638f5e225cf483cc";
    const email = "video-owner@example.org";

    /** A stand-in that accepts a token, or the key pair above, with a known customer code. */
    async function privateStandIn(options: EmulatorOptions = {}, time: "virtual" | "real" = "virtual") {
      const s = await standIn({ customerCode, apiKey, email, ...options }, time);
      const secrets = { token: TOKEN, "API key": apiKey, email, "account id": s.account, "video uid": s.video };
      return { ...s, secrets: { ...secrets, "customer code": customerCode } };
    }
    const keyEnv = (emulator: Emulator) =>
      cleanEnv({ CLOUDFLARE_API_KEY: apiKey, CLOUDFLARE_EMAIL: email, CLOUDFLARE_BASE_URL: emulator.baseUrl });

    it("on success, with a token and with the key and email", async () => {
      for (const [credential, env] of [
        ["token", envFor],
        ["key and email", keyEnv],
      ] as const) {
        const { emulator, account, video, secrets } = await privateStandIn();
        const file = path.join(dir, `success-${credential.replace(/ /g, "-")}.json`);
        const run = await runInProcess(["--account", account, "--video", video, "--json", file], env(emulator));
        assert.equal(run.code, 0, run.out.join("\n"));
        assert.equal(lastLine(run).calls, emulator.requests.length);
        assertNothingPrivate(`success (${credential})`, run, file, secrets);
      }
    });

    it("when a token that cannot write gets a 403 at the first create, even if Cloudflare's message names the ids", async () => {
      const { emulator, account, video, secrets } = await privateStandIn();
      const said = `Unauthorized to access /accounts/${account}/stream/${video}/downloads/default as ${email}`;
      emulator.addFault({
        method: "POST",
        path: "/downloads/",
        fault: {
          kind: "status",
          status: 403,
          body: JSON.stringify({
            success: false,
            errors: [{ code: 10000, message: said }],
            messages: [],
            result: null,
          }),
        },
      });
      const file = path.join(dir, "forbidden.json");
      const run = await runInProcess(["--account", account, "--video", video, "--json", file], keyEnv(emulator));

      assert.equal(run.code, 1);
      assert.match(run.out.join("\n"), /the live API failed after 3 calls: Cloudflare API 403 Forbidden/);
      const transcript = JSON.parse(readFileSync(file, "utf8")) as {
        outcome: string;
        calls: Array<{ error?: string }>;
      };
      assert.match(
        transcript.outcome,
        /^failed: Cloudflare API 403 Forbidden: POST \/accounts\/<account>\/stream\/<video>\//,
      );
      assert.match(transcript.calls[2]?.error ?? "", /Unauthorized to access \/accounts\/<account>\/stream\/<video>\//);
      assertNothingPrivate("a 403 at the first create", run, file, secrets);
    });

    it("when a call is retried: the retry line names the call redacted, even if Cloudflare's message names the ids", async () => {
      const { emulator, account, video, secrets } = await privateStandIn();
      const said = `Try again: /accounts/${account}/stream/${video}/downloads is busy for ${email}`;
      emulator.addFault({
        method: "GET",
        path: /\/downloads$/,
        fault: {
          kind: "status",
          status: 503,
          headers: { "retry-after": "0" },
          body: JSON.stringify({
            success: false,
            errors: [{ code: 10001, message: said }],
            messages: [],
            result: null,
          }),
        },
      });
      const file = path.join(dir, "retried.json");
      const run = await runInProcess(["--account", account, "--video", video, "--json", file], keyEnv(emulator));

      assert.equal(run.code, 0, run.out.join("\n"));
      assertNothingPrivate("a retried call", run, file, secrets);
      const retries = run.out.filter((l) => l.startsWith("  retrying "));
      assert.equal(retries.length, 1, run.out.join("\n"));
      assert.match(
        retries[0] ?? "",
        /^ {2}retrying GET \/accounts\/<account>\/stream\/<video>\/downloads in 0 ms: .*503 .*Try again: \/accounts\/<account>\/stream\/<video>\/downloads is busy for <redacted>/,
      );
    });

    it("when the deadline passes before the downloads are ready", async () => {
      const { emulator, account, video, secrets } = await privateStandIn({ generationMs: 120_000 });
      const file = path.join(dir, "deadline.json");
      const run = await runInProcess(
        ["--account", account, "--video", video, "--timeout", "1", "--json", file],
        envFor(emulator),
      );

      assert.equal(run.code, 0, run.out.join("\n"));
      assert.match(run.out.join("\n"), /not ready within the timeout/);
      assert.match(String((JSON.parse(readFileSync(file, "utf8")) as { outcome: string }).outcome), /^timed out/);
      assertNothingPrivate("the deadline", run, file, secrets);
      assert.deepEqual(emulator.allDownloads(), []);
    });

    it("on Ctrl-C while waiting (a real SIGINT to the command)", async () => {
      const { emulator, account, video, secrets } = await privateStandIn({ generationMs: 120_000 }, "real");
      const file = path.join(dir, "interrupted.json");
      const child = spawn(
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          "scripts/live-check.ts",
          "--account",
          account,
          "--video",
          video,
        ].concat(["--json", file]),
        { cwd: REPO_ROOT, env: keyEnv(emulator), stdio: ["ignore", "pipe", "pipe"] },
      );
      const run: Run = { code: -1, out: [], err: [] };
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/^POST .*downloads\/audio 200/m.test(stdout)) resolve();
        }),
      );
      child.kill("SIGINT");
      run.code = (await exited) ?? -1;
      run.out = stdout.split("\n").filter(Boolean);
      run.err = stderr.split("\n").filter(Boolean);

      assert.equal(run.code, 130, stdout + stderr);
      assert.match(stderr, /stopping; deleting what it created/);
      assert.equal((JSON.parse(readFileSync(file, "utf8")) as { outcome: string }).outcome, "interrupted");
      assertNothingPrivate("Ctrl-C", run, file, secrets);
      assert.deepEqual(emulator.allDownloads(), []);
    });

    it("on replay, also of a transcript that still holds the ids", async () => {
      const { emulator, account, video, secrets } = await privateStandIn();
      const file = path.join(dir, "to-replay.json");
      assert.equal(
        (await runInProcess(["--account", account, "--video", video, "--json", file], envFor(emulator))).code,
        0,
      );
      const replayed = await runInProcess(["--replay", file], cleanEnv());
      assert.equal(replayed.code, 0, replayed.err.join("\n"));
      assertNothingPrivate("replay", replayed, file, secrets);

      // The same transcript with the ids, the customer code and the email put back, as a careless edit would.
      const raw = readFileSync(file, "utf8")
        .split("<account>")
        .join(account)
        .split("<video>")
        .join(video)
        .split("<code>")
        .join(customerCode)
        .replace('"outcome": "completed"', `"outcome": "completed for ${email}"`);
      const unredacted = path.join(dir, "unredacted.json");
      writeFileSync(unredacted, raw);
      assert.ok(raw.includes(video) && raw.includes(customerCode), "the file holds the ids again");
      const again = await runInProcess(["--replay", unredacted], cleanEnv());
      assert.equal(again.code, 0, again.err.join("\n"));
      assert.deepEqual(differenceLines(again), [], "redacted on the way in, it compares like the redacted one");
      assertNothingPrivate("replay of an unredacted transcript", again, undefined, secrets);
    });
  });

  describe("shapes and redaction", () => {
    it("counts null as a difference only where the provider reads the field", () => {
      const live = { uid: "<video>", watermark: { uid: "x" }, readyToStream: null, status: { state: "ready" } };
      const emulator = { uid: "<video>", watermark: null, readyToStream: true, status: { state: "ready" } };
      assert.deepEqual(compareResults("video", live, emulator), [
        { path: "$.readyToStream", live: "null", emulator: "a boolean" },
      ]);
    });

    it("names a download URL that is not of the documented form", () => {
      const url = "https://videodelivery.net/<video>/downloads/default.mp4";
      const emulatorUrl = "https://customer-<code>.cloudflarestream.com/<video>/downloads/default.mp4";
      const differences = compareResults(
        "list",
        { default: { status: "ready", percentComplete: 100, url } },
        { default: { status: "ready", percentComplete: 100, url: emulatorUrl } },
      );
      assert.equal(differences.length, 1);
      assert.equal(differences[0]?.path, "$.default.url");
      assert.equal(differences[0]?.live, `"${url}"`);
    });

    it("replaces ids, the customer code, credentials and token-like strings, and keeps every type", () => {
      const account = cfId();
      const video = cfId();
      const redactor = new Redactor({ account, video }, ["my-api-token"]);
      const result = redactor.value({
        uid: video,
        percentComplete: 42.5,
        pct: "42.5",
        ok: true,
        none: null,
        url: `https://customer-a1b2c3d4e5f6g7h8.cloudflarestream.com/${video}/downloads/default.mp4`,
        note: `account ${account} with my-api-token`,
        signed: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        other: "0123456789abcdefABCDEF0123456789abcdefgh",
        meta: { name: "my holiday.mp4" },
      });
      assert.deepEqual(result, {
        uid: "<video>",
        percentComplete: 42.5,
        pct: "42.5",
        ok: true,
        none: null,
        url: "https://customer-<code>.cloudflarestream.com/<video>/downloads/default.mp4",
        note: "account <account> with <redacted>",
        signed: "<redacted>",
        other: "<redacted>",
        meta: { name: "<redacted>" },
      });
    });
  });
});
