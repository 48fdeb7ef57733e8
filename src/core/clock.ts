/**
 * Time, injected: every wait of this package (polling, backoff, rate-limit windows) runs on a `Clock`, so tests
 * drive it virtually instead of waiting in real time.
 */

/** What the package reads the time from and sleeps on. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
