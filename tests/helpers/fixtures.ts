/**
 * Shared test fixtures: ids, a recording clock, and a provider wired to an emulator.
 */
import { randomBytes } from "node:crypto";
import { CloudflareClient, type ClientOptions } from "../../src/core/client";
import { RequestLimiter } from "../../src/core/limiter";
import { type Clock } from "../../src/core/clock";
import type { StreamDownloadInputs } from "../../src/core/types";
import { StreamDownloadProvider } from "../../src/dynamic/provider";
import { DEFAULT_RATE_BUDGET } from "../../src/core/limiter";
import type { Emulator } from "../../src/emulator/server";

/** The token every test emulator accepts. Tests assert that it never shows up where it must not. */
export const TOKEN = "sekret-token-0123456789abcdef";

/** A fresh 32-hex Cloudflare id. */
export function cfId(): string {
  return randomBytes(16).toString("hex");
}

/** A clock that records each sleep and resolves it at once (time itself still passes for real). */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

/** A client for the emulator with fast retries and no client-side rate limit unless given. */
export function clientFor(emulator: Emulator, options: Partial<ClientOptions> = {}): CloudflareClient {
  return new CloudflareClient({
    baseUrl: emulator.baseUrl,
    credentials: { kind: "token", token: TOKEN },
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    attemptTimeoutMs: 2000,
    ...options,
  });
}

/** Provider inputs for one video with every default filled, a short deadline, and `overrides`. */
export function inputsFor(
  accountId: string,
  identifier: string,
  overrides: Partial<StreamDownloadInputs> = {},
): StreamDownloadInputs {
  return {
    accountId,
    identifier,
    downloadTypes: ["default"],
    waitForReady: true,
    readyTimeoutSeconds: 30,
    ...overrides,
  };
}

/** Poll fast: tests use generation times of a few hundred milliseconds. */
export const FAST_POLL = {
  firstPollMs: 60,
  minIntervalMs: 20,
  marginMs: 20,
  progressLogIntervalMs: 0,
  secondLookMs: 40,
};

/** A provider wired to the emulator, with its progress lines collected in `lines`. */
export function providerFor(
  emulator: Emulator,
  deps: ConstructorParameters<typeof StreamDownloadProvider>[0] = {},
): StreamDownloadProvider & { lines: string[] } {
  const lines: string[] = [];
  const provider = new StreamDownloadProvider({
    log: (line) => lines.push(line),
    poll: FAST_POLL,
    settings: () => ({
      baseUrl: emulator.baseUrl,
      credentials: { kind: "token", token: TOKEN },
      budget: DEFAULT_RATE_BUDGET,
    }),
    client: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, attemptTimeoutMs: 1000 },
    ...deps,
  });
  return Object.assign(provider, { lines });
}

/** A limiter with a tiny budget, for tests. */
export function tinyLimiter(requests: number, windowMs: number, maxConcurrent = 8, clock?: Clock): RequestLimiter {
  return new RequestLimiter({ windows: [{ requests, windowMs }], maxConcurrent }, clock);
}
