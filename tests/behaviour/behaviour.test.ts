import assert from "node:assert/strict";
import { ConfigurationError } from "../../src/core/errors";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { StreamDownloadProvider } from "../../src/dynamic/provider";
import { ENV_VARS } from "../../src/core/settings";
import { SECRET_SIG, SECRET_VALUE_SIG } from "../../src/core/pulumi-values";
import { DEFAULT_GATHER_WINDOW_MS } from "../../src/core/video-reads";
import { clearConfigured } from "../../src/dynamic/config";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../../src/core/types";
import { DIALECTS } from "../helpers/dialects";
import { FACES } from "../helpers/faces";
import { cfId, FAST_POLL, inputsFor, recordingClock, TOKEN } from "../helpers/fixtures";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** In progress, as each dialect says it: documented, or the undocumented status one dialect sends. */
const IN_PROGRESS = /^(inprogress|queued)$/;

/**
 * The behaviour of a StreamDownload, run against each face (the dynamic provider, and the provider plugin over
 * gRPC) in each dialect of Cloudflare's API the emulator can speak.
 */
for (const makeFace of FACES)
  for (const dialect of DIALECTS)
    describe(`StreamDownload behaviour: ${makeFace().name} face (${dialect.name})`, () => {
      let emulator: Emulator;
      const face = makeFace();
      const account = cfId();
      let video: string;
      const smooth = dialect.options.progress !== "coarse" && !dialect.options.downloadDialect;

      before(async () => {
        emulator = await startEmulator({ token: TOKEN, generationMs: 300, rateLimit: false, ...dialect.options });
      });
      after(async () => {
        await face.close();
        await emulator.close();
      });

      /**
       * Time that moves only when the code under test sleeps (or a test advances it), read by the provider and the
       * emulator alike: a schedule then plays out the same on an idle or a loaded machine, what it costs is
       * exact, and generation takes no real time. Every test runs on it; a test may start a fresh one.
       */
      function virtualTime(): {
        clock: { now(): number; sleep(ms: number): Promise<void> };
        advance(ms: number): void;
        restore(): void;
      } {
        let now = Date.now();
        const real = emulator.options.now;
        emulator.options.now = () => now;
        return {
          clock: {
            now: () => now,
            sleep: async (ms) => {
              now += Math.max(0, ms);
            },
          },
          advance: (ms) => {
            now += ms;
          },
          restore: () => (emulator.options.now = real),
        };
      }

      let time: ReturnType<typeof virtualTime>;
      beforeEach(() => {
        time = virtualTime();
        emulator.clearFaults();
        emulator.options.generationMs = 300;
        video = emulator.createVideo(account);
        emulator.resetRequests();
      });
      afterEach(() => time.restore());

      /** A face's provider on this test's virtual time, unless the test gives its own clock. */
      const make = (deps?: Parameters<typeof face.provider>[1]) =>
        face.provider(emulator, { clock: time.clock, ...deps });

      const inputs = (overrides: Partial<StreamDownloadInputs> = {}) => inputsFor(account, video, overrides);

      function liveTypes(v = video): string[] {
        return emulator
          .storedDownloads(account, v)
          .map((d) => d.type)
          .sort();
      }

      async function failure(promise: Promise<unknown>): Promise<Error> {
        try {
          await promise;
        } catch (error) {
          assert.ok(!String((error as Error).message).includes(TOKEN), "no credential in the error");
          return error as Error;
        }
        assert.fail("expected a failure");
      }

      /**
       * Behaviour that sends no request (check, diff) or that does not depend on how Cloudflare answers
       * (where credentials come from) runs in the first dialect only, once per face: the other dialects would
       * repeat it word for word.
       */
      const describeDialectFree =
        dialect === DIALECTS[0] ? describe : (_title: string, _suite: () => void): void => undefined;

      describeDialectFree("check", () => {
        it("fills the defaults and sends no request", async () => {
          const result = await (
            await make()
          ).check(
            {} as StreamDownloadInputs,
            {
              accountId: account,
              identifier: video,
            } as StreamDownloadInputs,
          );
          assert.deepEqual(result.failures, []);
          assert.deepEqual(result.inputs, inputs({ readyTimeoutSeconds: 1800 }));
          assert.equal(emulator.requests.length, 0);
        });

        it("names the property and quotes the value of every bad input", async () => {
          const result = await (
            await make()
          ).check(
            {} as StreamDownloadInputs,
            {
              accountId: "not-an-id",
              identifier: video.toUpperCase(),
              downloadTypes: ["default", "video", "default"],
              waitForReady: "yes",
              readyTimeoutSeconds: -5,
            } as unknown as StreamDownloadInputs,
          );
          const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
          // Top-level names only (the engine shows the value of the property it is given); the index is in the reason.
          assert.deepEqual((result.failures ?? []).map((f) => f.property).sort(), [
            "accountId",
            "downloadTypes",
            "downloadTypes",
            "identifier",
            "readyTimeoutSeconds",
            "waitForReady",
          ]);
          const typeReasons = (result.failures ?? [])
            .filter((f) => f.property === "downloadTypes")
            .map((f) => f.reason);
          if (face.name === "plugin") {
            assert.match(
              byProperty.accountId ?? "",
              /accountId must be a Cloudflare account ID: 32 lowercase hexadecimal characters; got "not-an-id"/,
            );
            assert.match(byProperty.identifier ?? "", new RegExp(`Did you mean "${video}"\\?`));
          } else {
            // The dynamic face cannot tell a secret id from a plain one, so it never repeats an id.
            assert.match(byProperty.accountId ?? "", /not shown: it may be a secret\) has 9 characters, characters/);
            assert.match(byProperty.identifier ?? "", /has uppercase letters\. In lowercase, it would be valid\./);
            assert.ok(!JSON.stringify(byProperty).includes(video), "no corrected id in the message");
          }
          assert.match(
            typeReasons[0] ?? "",
            /^downloadTypes\[1\] is "video"; Cloudflare Stream knows only "default" and "audio"/,
          );
          assert.match(typeReasons[1] ?? "", /lists "default" more than once \(again at downloadTypes\[2\]\)/);
          assert.match(byProperty.readyTimeoutSeconds ?? "", /positive number of seconds; got -5/);
          assert.match(byProperty.waitForReady ?? "", /true or false; got "yes"/);
        });

        it("never repeats a secret accountId or identifier, nor a correction of it, and says what is wrong", async () => {
          // As each face receives a secret: the plugin wrapped (it accepts secrets); the dynamic provider plain,
          // since the engine unwraps secrets for a provider that does not accept them.
          const asSecret = (value: unknown) =>
            face.name === "plugin" ? { [SECRET_SIG]: SECRET_VALUE_SIG, value } : value;
          const secrets = [account.slice(0, 31), ` ${video.toUpperCase()}\n`];
          const result = await (
            await make()
          ).check(
            {} as StreamDownloadInputs,
            {
              accountId: asSecret(secrets[0]),
              identifier: asSecret(secrets[1]),
              ...(face.name === "plugin" ? { waitForReady: asSecret("yes-please") } : {}),
            } as unknown as StreamDownloadInputs,
          );
          const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
          assert.deepEqual(
            Object.keys(byProperty).sort(),
            face.name === "plugin" ? ["accountId", "identifier", "waitForReady"] : ["accountId", "identifier"],
          );
          assert.equal(
            byProperty.accountId,
            "accountId must be a Cloudflare account ID: 32 lowercase hexadecimal characters; the value given " +
              "(not shown: it may be a secret) has 31 characters.",
          );
          assert.equal(
            byProperty.identifier,
            "identifier must be a Cloudflare video UID: 32 lowercase hexadecimal characters; the value given " +
              "(not shown: it may be a secret) has spaces or line breaks around it, uppercase letters. Without the " +
              "spaces around it and in lowercase, it would be valid.",
          );
          if (face.name === "plugin") {
            assert.match(byProperty.waitForReady ?? "", /true or false; got the value given \(not shown.*\), a string/);
            assert.deepEqual(result.inputs.accountId, asSecret(secrets[0]), "still secret in the checked inputs");
          }
          // No run of 8 characters of a secret, in any case, nor its correction, anywhere in the messages.
          const text = JSON.stringify(result.failures).toLowerCase();
          for (const value of [...secrets, "yes-please"].map((v) => v.trim().toLowerCase())) {
            for (let i = 0; i + 8 <= value.length; i++) {
              assert.ok(!text.includes(value.slice(i, i + 8)), `a piece of a secret in: ${text}`);
            }
          }
        });

        it("requires accountId and identifier, and a non-empty downloadTypes", async () => {
          const result = await (
            await make()
          ).check(
            {} as StreamDownloadInputs,
            {
              downloadTypes: [],
            } as unknown as StreamDownloadInputs,
          );
          const properties = (result.failures ?? []).map((f) => f.property).sort();
          assert.deepEqual(properties, ["accountId", "downloadTypes", "identifier"]);
        });

        it("lets values that are unknown during preview through", async () => {
          const result = await (
            await make()
          ).check(
            {} as StreamDownloadInputs,
            {
              accountId: account,
              identifier: UNKNOWN,
              downloadTypes: [UNKNOWN],
              readyTimeoutSeconds: UNKNOWN,
            } as unknown as StreamDownloadInputs,
          );
          assert.deepEqual(result.failures, []);
          assert.equal(result.inputs?.identifier, UNKNOWN);
        });
      });

      describeDialectFree("diff", () => {
        const olds = (): StreamDownloadOutputs => ({
          ...inputs({ downloadTypes: ["default", "audio"] }),
          default: { status: "ready", percentComplete: 100, url: "u1" },
          audio: { status: "ready", percentComplete: 100, url: "u2" },
        });

        it("replaces the resource when the account or the video changes", async () => {
          const p = await make();
          const other = cfId();
          assert.deepEqual(
            await p.diff("id", olds(), inputs({ identifier: other, downloadTypes: ["default", "audio"] })),
            {
              changes: true,
              replaces: ["identifier"],
              deleteBeforeReplace: false,
            },
          );
          const r = await p.diff("id", olds(), inputs({ accountId: other, downloadTypes: ["default", "audio"] }));
          assert.deepEqual(r.replaces, ["accountId"]);
        });

        it("updates in place when downloadTypes or the waiting settings change", async () => {
          const p = await make();
          for (const news of [
            inputs({ downloadTypes: ["default"] }),
            inputs({ downloadTypes: ["default", "audio"], waitForReady: false }),
            inputs({ downloadTypes: ["default", "audio"], readyTimeoutSeconds: 99 }),
          ]) {
            assert.deepEqual(await p.diff("id", olds(), news), { changes: true });
          }
        });

        it("reports no change for the same types in another order, and sends no request", async () => {
          const result = await (await make()).diff("id", olds(), inputs({ downloadTypes: ["audio", "default"] }));
          assert.deepEqual(result, { changes: false });
          assert.equal(emulator.requests.length, 0);
        });

        it("proposes an update when refresh found a managed download gone or failed", async () => {
          const p = await make();
          const lost = olds();
          delete lost.audio;
          assert.deepEqual(await p.diff("id", lost, inputs({ downloadTypes: ["default", "audio"] })), {
            changes: true,
          });
          const failed = olds();
          failed.default = { status: "error", percentComplete: 40, url: "u1" };
          assert.deepEqual(await p.diff("id", failed, inputs({ downloadTypes: ["default", "audio"] })), {
            changes: true,
          });
        });
      });

      describe("create", () => {
        it("creates both types, waits until they are ready, and reports progress", async () => {
          emulator.options.generationMs = 600;
          const time = virtualTime();
          const p = await make({ clock: time.clock });
          const { id, outs } = await p
            .create(inputs({ downloadTypes: ["default", "audio"] }))
            .catch((error: unknown) => {
              time.restore();
              throw error;
            });
          assert.equal(id, `${account}/${video}`);
          assert.equal(outs?.default?.status, "ready");
          assert.equal(outs?.default?.percentComplete, 100);
          assert.match(outs?.default?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
          assert.equal(outs?.audio?.status, "ready");
          assert.match(outs?.audio?.url ?? "", new RegExp(`/${video}/downloads/audio\\.m4a$`));
          // Each file's size and type, as its URL serves them.
          for (const info of [outs?.default, outs?.audio]) {
            const served = await fetch(info?.url ?? "", { method: "HEAD" });
            assert.equal(info?.sizeBytes, Number(served.headers.get("content-length")));
            assert.equal(info?.contentType, served.headers.get("content-type"));
          }
          time.restore();
          assert.equal(outs?.audio?.contentType, "audio/mp4");
          assert.deepEqual(liveTypes(), ["audio", "default"]);
          const posts = emulator.requests.filter((r) => r.method === "POST").map((r) => r.path);
          assert.deepEqual(posts, [
            `/accounts/${account}/stream/${video}/downloads/default`,
            `/accounts/${account}/stream/${video}/downloads/audio`,
          ]);
          // Without visible progress (coarse), the waiter backs off instead of estimating: more reads.
          const most = smooth ? 7 : 12;
          assert.ok(emulator.requests.length <= most, `few requests: ${emulator.requests.length}`);
          assert.ok(
            p.lines.some((l) =>
              /generating default (queued at )?\d+(\.\d+)?%, audio (queued at )?\d+(\.\d+)?%/.test(l),
            ),
            p.lines.join("\n"),
          );
          assert.ok(p.lines.some((l) => /default and audio ready after/.test(l)));
        });

        it("notices readiness soon after it happens, in few requests (on the provider's and the emulator's clock)", async () => {
          emulator.options.generationMs = 1000;
          const time = virtualTime();
          const p = await make({ clock: time.clock, poll: { ...FAST_POLL, firstPollMs: 300, marginMs: 30 } });
          const started = time.clock.now();
          await p.create(inputs()).finally(time.restore);
          const returned = time.clock.now();
          const download = emulator.storedDownloads(account, video)[0];
          const readyAt = download?.readyAt ?? Infinity;
          assert.ok(returned >= readyAt, "returned only once ready");
          if (smooth) {
            // 30 % seen at 300 ms puts the finish at 1000 ms; the next look is one margin (30 ms) after it.
            assert.equal(returned - readyAt, 30, "late by the policy's margin");
            // A GET of the downloads and one of the video (in parallel), the POST, and two reads of the list.
            assert.equal(emulator.requests.length, 5, `requests: ${emulator.requests.length}`);
          } else {
            // No progress to estimate from: each wait is half the time waited so far, so at most half late.
            assert.ok(returned - readyAt <= (returned - started) / 2, `late by ${returned - readyAt} ms`);
            assert.ok(emulator.requests.length <= 9, `requests: ${emulator.requests.length}`);
          }
        });

        it("returns at once without waiting when waitForReady is false", async () => {
          emulator.options.generationMs = 5000;
          const { outs } = await (await make()).create(inputs({ waitForReady: false }));
          assert.match(outs?.default?.status ?? "", IN_PROGRESS);
          if (dialect.options.downloadDialect?.omitUrlWhileInProgress) {
            assert.equal(outs?.default?.url, "", "no URL yet, and none made up");
          } else {
            assert.match(outs?.default?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
          }
          // When the POST's answer has no URL, one read of the list gives it.
          const expected = dialect.options.postShape === "empty" || dialect.options.downloadDialect ? 4 : 3;
          assert.equal(emulator.requests.length, expected, "GETs of the downloads and the video, the POST (and a GET)");
        });

        it("waits for a freshly uploaded video to be ready to stream, then creates its downloads", async () => {
          const fresh = emulator.createVideo(account, { readyMs: 400 });
          const p = await make();
          const { outs } = await p.create(inputs({ identifier: fresh }));
          assert.equal(outs?.default?.status, "ready");
          assert.ok(
            emulator.requests.some((r) => r.method === "GET" && r.path.endsWith(fresh)),
            "looked at the video",
          );
          assert.ok(p.lines.some((l) => /waiting for the video to be ready to stream/.test(l)));
        });

        it("fails at once for a video whose processing failed, creating nothing", async () => {
          const broken = emulator.createVideo(account, { state: "error" });
          const error = await failure((await make()).create(inputs({ identifier: broken })));
          assert.match(error.message, new RegExp(`Video ${broken} failed to process .*state "error"`));
          assert.deepEqual(liveTypes(broken), []);
        });

        it("fails at once for a video that does not exist", async () => {
          const missing = cfId();
          const error = await failure((await make()).create(inputs({ identifier: missing })));
          assert.match(error.message, new RegExp(`Video ${missing} was not found in account ${account}`));
          assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 0);
        });

        it("fails when a download ends in error, naming video, type, status and percent, and deletes what it created", async () => {
          emulator.failNextDownloads({ types: ["audio"], afterMs: 100 });
          const error = await failure((await make()).create(inputs({ downloadTypes: ["default", "audio"] })));
          assert.match(
            error.message,
            new RegExp(`audio download of video ${video}: it ended in status "error" at \\d+(\\.\\d+)?%`),
          );
          assert.match(error.message, /default and audio downloads this step created were deleted again/);
          assert.deepEqual(liveTypes(), []);
        });

        it("fails when the deadline passes, and deletes what it created", async () => {
          emulator.options.generationMs = 10_000;
          const error = await failure((await make()).create(inputs({ readyTimeoutSeconds: 0.3 })));
          assert.match(
            error.message,
            new RegExp(
              `Timed out after 0.3 s waiting for the downloads of video ${video}: default (inprogress|queued) at \\d`,
            ),
          );
          assert.match(error.message, /Raise readyTimeoutSeconds/);
          assert.deepEqual(liveTypes(), []);
        });

        it("adopts an existing download instead of generating it again, and never deletes it on failure", async () => {
          emulator.createDownload(account, video, "default", { ready: true });
          const before = emulator.storedDownloads(account, video)[0]?.createdAt;
          const { outs } = await (await make()).create(inputs());
          assert.equal(outs?.default?.status, "ready");
          assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 0);
          assert.equal(emulator.storedDownloads(account, video)[0]?.createdAt, before);

          emulator.failNextDownloads({ types: ["audio"], afterMs: 50 });
          await failure((await make()).create(inputs({ downloadTypes: ["default", "audio"] })));
          assert.deepEqual(liveTypes(), ["default"], "the adopted download survives the rollback");
        });

        it("generates a failed existing download again", async () => {
          emulator.failNextDownloads({ afterMs: 0 });
          emulator.createDownload(account, video, "default");
          time.advance(20);
          assert.equal(emulator.downloads(account, video).default?.status, "error");
          const { outs } = await (await make()).create(inputs());
          assert.equal(outs?.default?.status, "ready");
        });

        it("cleans up and names the video when a POST keeps failing", async () => {
          emulator.addFault({
            method: "POST",
            path: "/downloads/audio",
            fault: { kind: "status", status: 500 },
            times: Infinity,
          });
          const error = await failure((await make()).create(inputs({ downloadTypes: ["default", "audio"] })));
          assert.match(error.message, /500/);
          assert.match(error.message, new RegExp(video));
          assert.deepEqual(liveTypes(), []);
        });
      });

      describeDialectFree("file facts", () => {
        it("reads each ready file's size and type with a HEAD of its URL that carries no credential", async () => {
          const { outs } = await (await make()).create(inputs({ downloadTypes: ["default", "audio"] }));
          assert.ok((outs?.default?.sizeBytes ?? 0) > (outs?.audio?.sizeBytes ?? 0), JSON.stringify(outs));
          assert.equal(outs?.default?.contentType, "video/mp4");
          const heads = emulator.deliveryRequests;
          assert.deepEqual(heads.map((r) => `${r.method} ${r.status}`).sort(), ["HEAD 200", "HEAD 200"]);
          for (const { headers } of heads) {
            for (const name of ["authorization", "x-auth-key", "x-auth-email", "cookie"]) {
              assert.ok(!(name in headers), `no ${name} header to the delivery host`);
            }
            assert.ok(!JSON.stringify(headers).includes(TOKEN));
          }
          assert.equal(emulator.requests.filter((r) => r.path.includes("/downloads/")).length, 2, "the POSTs alone");
        });

        it("reads them again on refresh, and leaves them out of a download not ready yet", async () => {
          const p = await make();
          const { outs } = await p.create(inputs({ waitForReady: false }));
          assert.equal(outs?.default?.sizeBytes, undefined);
          assert.equal(emulator.deliveryRequests.length, 0, "no HEAD of a URL that does not work yet");
          time.advance(400); // past the 300 ms generation
          const read = await p.read(`${account}/${video}`, outs as StreamDownloadOutputs);
          assert.equal(read.props?.default?.status, "ready");
          assert.ok((read.props?.default?.sizeBytes ?? 0) > 0);
          assert.equal(read.props?.default?.contentType, "video/mp4");
        });

        it("says once that a video requiring signed URLs answers 401, as expected, and leaves the facts out", async () => {
          const signed = emulator.createVideo(account, { requireSignedURLs: true });
          const p = await make();
          const { outs } = await p.create(inputs({ identifier: signed, downloadTypes: ["default", "audio"] }));
          assert.equal(outs?.default?.status, "ready");
          assert.equal(outs?.requireSignedURLs, true);
          assert.equal(outs?.default?.sizeBytes, undefined);
          assert.equal(outs?.audio?.contentType, undefined);
          assert.deepEqual(
            emulator.deliveryRequests.map((r) => r.status),
            [401, 401],
          );
          const said = p.lines.filter((l) => /answered 401, as expected for a video that requires signed URLs/.test(l));
          assert.equal(said.length, 1, p.lines.join("\n"));
          assert.match(said[0] ?? "", /URL of default and audio answered 401/);
        });

        it("reports a ready download whose URL does not answer 2xx, and still records the download", async () => {
          emulator.addFault({
            on: "delivery",
            path: "default.mp4",
            times: Infinity,
            fault: { kind: "status", status: 404 },
          });
          const p = await make();
          const { outs } = await p.create(inputs({ downloadTypes: ["default", "audio"] }));
          assert.equal(outs?.default?.status, "ready");
          assert.equal(outs?.default?.sizeBytes, undefined);
          assert.ok((outs?.audio?.sizeBytes ?? 0) > 0, "the other type's facts are read");
          const said = p.lines.filter((l) => /did not answer as a file does/.test(l));
          assert.equal(said.length, 1, p.lines.join("\n"));
          assert.match(
            said[0] ?? "",
            new RegExp(
              `StreamDownload ${video} default: Cloudflare lists the download as ready, but its URL .*404 Not Found`,
            ),
          );
        });
      });

      describe("read", () => {
        async function created(types: Array<"default" | "audio"> = ["default", "audio"]) {
          const p = await make();
          const { outs } = await p.create(inputs({ downloadTypes: types, waitForReady: false }));
          return { p, outs: outs as StreamDownloadOutputs };
        }

        it("returns fresh status and percent for the managed types", async () => {
          const time = virtualTime(); // the emulator's time stands still until advanced, however slow the machine
          const { p, outs } = await created().finally(() => time.advance(350)); // past the 300 ms generation
          assert.match(outs.default?.status ?? "", IN_PROGRESS);
          const result = await p.read(`${account}/${video}`, outs).finally(time.restore);
          assert.equal(result.id, `${account}/${video}`);
          assert.equal(result.props?.default?.status, "ready");
          assert.equal(result.props?.audio?.percentComplete, 100);
        });

        it("drops a download deleted out of band and keeps the inputs, so the next up recreates it", async () => {
          const { p, outs } = await created();
          emulator.deleteDownload(account, video, "audio");
          const result = await p.read(`${account}/${video}`, outs);
          assert.equal(result.id, `${account}/${video}`);
          assert.equal(result.props?.audio, undefined);
          assert.ok(result.props?.default);
          assert.deepEqual(result.inputs?.downloadTypes, ["default", "audio"]);
          const diff = await p.diff(
            result.id ?? "",
            result.props as StreamDownloadOutputs,
            inputs({ downloadTypes: ["default", "audio"] }),
          );
          assert.equal(diff.changes, true);
        });

        it("returns an empty id when no managed download is left", async () => {
          const { p, outs } = await created(["default"]);
          emulator.deleteDownload(account, video, "default");
          assert.deepEqual(await p.read(`${account}/${video}`, outs), { id: "" });
        });

        /** Reads of the video's list of downloads (not the video itself) since the last reset. */
        const listReads = () =>
          emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith("/downloads")).length;
        /** The list answers `{}` (no downloads) `times` times, as a list lagging behind would. */
        const lagging = (times: number) =>
          emulator.addFault({
            method: "GET",
            path: /\/downloads$/,
            times,
            fault: { kind: "rewriteResult", result: {} },
          });

        it("reads the list once, and sleeps not, when it shows every managed download", async () => {
          const { outs } = await created();
          const clock = recordingClock();
          emulator.resetRequests();
          const result = await (await make({ clock })).read(`${account}/${video}`, outs);
          assert.ok(result.props?.default && result.props.audio);
          assert.equal(listReads(), 1);
          assert.deepEqual(clock.sleeps, [DEFAULT_GATHER_WINDOW_MS], "only the video read's window, for company");
        });

        it("keeps the downloads and the resource when the list misses them once, reading it again after a pause", async () => {
          const { outs } = await created();
          const clock = recordingClock();
          const p = await make({ clock });
          emulator.resetRequests();
          const rule = lagging(1);
          const result = await p.read(`${account}/${video}`, outs);
          assert.equal(rule.applied, 1);
          assert.equal(result.id, `${account}/${video}`);
          assert.ok(result.props?.default && result.props.audio);
          assert.deepEqual(result.inputs?.downloadTypes, ["default", "audio"]);
          assert.equal(listReads(), 2, "one more read of the list, only because it missed them");
          assert.deepEqual(clock.sleeps, [DEFAULT_GATHER_WINDOW_MS, FAST_POLL.secondLookMs]);
          assert.ok(!p.lines.some((l) => /is gone from Cloudflare/.test(l)), p.lines.join("\n"));
        });

        it("drops a download that two reads of the list in a row miss, and nothing else", async () => {
          const { outs } = await created();
          emulator.deleteDownload(account, video, "audio");
          const clock = recordingClock();
          const p = await make({ clock });
          emulator.resetRequests();
          const result = await p.read(`${account}/${video}`, outs);
          assert.equal(result.id, `${account}/${video}`);
          assert.equal(result.props?.audio, undefined);
          assert.ok(result.props?.default);
          assert.equal(listReads(), 2);
          assert.deepEqual(clock.sleeps, [DEFAULT_GATHER_WINDOW_MS, FAST_POLL.secondLookMs]);
          assert.ok(p.lines.some((l) => /audio: the download is gone from Cloudflare\. Two reads/.test(l)));
        });

        it("drops the resource when two reads of a lagging list in a row miss every download", async () => {
          const { outs } = await created();
          emulator.resetRequests();
          const rule = lagging(2);
          assert.deepEqual(await (await make({ clock: recordingClock() })).read(`${account}/${video}`, outs), {
            id: "",
          });
          assert.equal(rule.applied, 2);
          assert.equal(listReads(), 2);
        });

        it("returns an empty id when the video is gone", async () => {
          const { p, outs } = await created();
          emulator.deleteVideo(account, video);
          assert.deepEqual(await p.read(`${account}/${video}`, outs), { id: "" });
        });

        if (face.name === "dynamic") {
          it("explains that import is not supported when there is no prior state", async () => {
            const error = await failure((await make()).read(`${account}/${video}`));
            assert.match(error.message, /pulumi import does not work for dynamic resources/);
            assert.match(error.message, /use the provider plugin/);
          });
        } else {
          it("imports <accountId>/<videoUid> without prior state, adopting every download the video has", async () => {
            emulator.createDownload(account, video, "audio", { ready: true });
            const result = await (await make()).read(`${account}/${video}`);
            assert.equal(result.id, `${account}/${video}`);
            assert.deepEqual(result.inputs?.downloadTypes, ["audio"]);
            assert.equal(result.props?.audio?.status, "ready");
            assert.equal(result.props?.default, undefined);
          });

          it("refuses to import an id that is not <accountId>/<videoUid>, saying what it must be", async () => {
            const error = await failure((await make()).read(video));
            assert.match(error.message, /the id must be <accountId>\/<videoUid>/);
          });
        }
      });

      describe("update", () => {
        it("creates an added type and waits for it, then deletes a removed type", async () => {
          const p = await make();
          const first = (await p.create(inputs())).outs as StreamDownloadOutputs;
          const added = (await p.update("id", first, inputs({ downloadTypes: ["default", "audio"] })))
            .outs as StreamDownloadOutputs;
          assert.equal(added.audio?.status, "ready");
          assert.deepEqual(added.default, first.default);
          assert.deepEqual(liveTypes(), ["audio", "default"]);

          const removed = (await p.update("id", added, inputs({ downloadTypes: ["audio"] })))
            .outs as StreamDownloadOutputs;
          assert.equal(removed.default, undefined);
          assert.deepEqual(liveTypes(), ["audio"]);
        });

        it("changes only settings without sending a request", async () => {
          const p = await make();
          const first = (await p.create(inputs())).outs as StreamDownloadOutputs;
          emulator.resetRequests();
          const outs = (await p.update("id", first, inputs({ readyTimeoutSeconds: 60 }))).outs;
          assert.equal(outs?.readyTimeoutSeconds, 60);
          assert.equal(emulator.requests.length, 0);
        });
      });

      describe("delete", () => {
        it("deletes every managed download with the type-specific endpoint", async () => {
          const p = await make();
          const outs = (await p.create(inputs({ downloadTypes: ["default", "audio"], waitForReady: false })))
            .outs as StreamDownloadOutputs;
          emulator.resetRequests();
          await p.delete("id", outs);
          assert.deepEqual(liveTypes(), []);
          assert.deepEqual(emulator.requests.map((r) => `${r.method} ${r.path.split("/").pop()}`).sort(), [
            "DELETE audio",
            "DELETE default",
          ]);
        });

        it("counts a download or video that is already gone as deleted", async () => {
          const p = await make();
          const outs = (await p.create(inputs({ downloadTypes: ["default", "audio"], waitForReady: false })))
            .outs as StreamDownloadOutputs;
          const sent = () =>
            emulator.requests
              .map((r) => `${r.method} ${r.path.replace(`/accounts/${account}/stream/${video}`, "")} ${r.status}`)
              .sort();

          // The audio download was deleted outside Pulumi: its DELETE answers 404, and the delete succeeds.
          emulator.deleteDownload(account, video, "audio");
          emulator.resetRequests();
          await p.delete("id", outs);
          assert.deepEqual(sent(), ["DELETE /downloads/audio 404", "DELETE /downloads/default 200"]);
          assert.deepEqual(liveTypes(), [], "the default download was deleted");

          // The whole video is gone: both DELETEs answer 404, once each (a 404 is not retried), and it succeeds.
          emulator.createDownload(account, video, "default", { ready: true });
          emulator.deleteVideo(account, video);
          emulator.resetRequests();
          await p.delete("id", outs);
          assert.deepEqual(sent(), ["DELETE /downloads/audio 404", "DELETE /downloads/default 404"]);
          assert.deepEqual(
            emulator.allDownloads().filter((d) => d.uid === video),
            [],
          );
        });

        it("fails with the video and cause when a delete keeps failing", async () => {
          const p = await make();
          const outs = (await p.create(inputs({ waitForReady: false }))).outs as StreamDownloadOutputs;
          emulator.addFault({ method: "DELETE", fault: { kind: "status", status: 503 }, times: Infinity });
          const error = await failure(p.delete("id", outs));
          assert.match(
            error.message,
            new RegExp(`Could not delete the downloads of video ${video}: default: Cloudflare API 503`),
          );
          assert.deepEqual(liveTypes(), ["default"]);
        });
      });

      // How each face finds its credentials differs (stack config and env here; the plugin's own provider config
      // in tests/behaviour/plugin-server.test.ts), so these run against the dynamic face alone.
      if (face.name === "dynamic")
        describeDialectFree("credentials", () => {
          const saved = { ...process.env };
          afterEach(() => {
            for (const name of Object.values(ENV_VARS)) delete process.env[name];
            Object.assign(process.env, saved);
            clearConfigured();
          });

          function configFrom(values: Record<string, string>) {
            return { get: (key: string) => values[key], require: (key: string) => values[key] ?? "" };
          }

          it("fails with the config keys and env vars to set, and sends no request, when there are none", async () => {
            for (const name of Object.values(ENV_VARS)) delete process.env[name];
            process.env[ENV_VARS.baseUrl] = emulator.baseUrl;
            const error = await failure(new StreamDownloadProvider().create(inputs()));
            assert.ok(error instanceof ConfigurationError);
            assert.match(
              error.message,
              /cloudflare:apiToken .*CLOUDFLARE_API_TOKEN.*cloudflare:apiKey and cloudflare:email/,
            );
            assert.equal(emulator.requests.length, 0);
          });

          it("reads the token and base URL from env at call time", async () => {
            process.env[ENV_VARS.apiToken] = TOKEN;
            process.env[ENV_VARS.baseUrl] = emulator.baseUrl;
            const { outs } = await new StreamDownloadProvider({
              poll: FAST_POLL,
              log: () => {},
              clock: time.clock,
            }).create(inputs());
            assert.equal(outs?.default?.status, "ready");
            assert.equal(emulator.requests[0]?.auth, "bearer");
          });

          it("prefers the stack config that configure received over env", async () => {
            process.env[ENV_VARS.apiToken] = "wrong-token-from-env";
            process.env[ENV_VARS.baseUrl] = "http://127.0.0.1:9/client/v4";
            const p = new StreamDownloadProvider({ poll: FAST_POLL, log: () => {}, clock: time.clock });
            await p.configure({
              config: configFrom({ "cloudflare:apiToken": TOKEN, "cloudflare:baseUrl": emulator.baseUrl }),
            } as never);
            const { outs } = await p.create(inputs());
            assert.equal(outs?.default?.status, "ready");
          });

          it("accepts the legacy API key and email", async () => {
            const p = new StreamDownloadProvider({ poll: FAST_POLL, log: () => {}, clock: time.clock });
            await p.configure({
              config: configFrom({
                "cloudflare:apiKey": "test-key",
                "cloudflare:email": "test@example.com",
                "cloudflare:baseUrl": emulator.baseUrl,
              }),
            } as never);
            await p.create(inputs({ waitForReady: false }));
            assert.equal(emulator.requests[0]?.auth, "key");
          });

          it("asks for the email when only the API key is set", async () => {
            process.env[ENV_VARS.apiKey] = "test-key";
            delete process.env[ENV_VARS.apiToken];
            const error = await failure(new StreamDownloadProvider().create(inputs()));
            assert.match(error.message, /API key is set but its email is not: set cloudflare:email/);
            assert.ok(!error.message.includes("test-key"));
          });
        });
    });
