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

/**
 * A clock whose time moves only when something sleeps on it (at once, by the time asked): for a simulation that
 * must play out the same however loaded the machine is and take no real time, such as the live check's run
 * against the emulator (which reads the same clock).
 */
export function virtualClock(start = Date.now()): Clock {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
    },
  };
}
