/**
 * How fast an account generates downloads, learned within one provider process from the downloads it has watched,
 * so that a download's first look can be timed for when it should be ready instead of polled for.
 *
 * Cloudflare's generation time grows with the video's length, so what is learned is milliseconds of generation per
 * second of video, per account and download type, from the progress readings of downloads already read (each
 * reading in progress tells its whole generation time: elapsed / share done). A later reading tells it more
 * precisely than an early one, so each download keeps its latest estimate, and an account's rate is the mean of
 * its recent downloads' estimates weighted by how much progress each was read at. A video whose length is not
 * known yet is predicted from the generation times alone.
 *
 * What is learned only times the first look: the download's own progress, once read, decides the next one, and a
 * look that finds it still going falls back on that (poll-policy.ts). One instance per credential and endpoint is
 * shared by every resource of the process, like the limiter and the gathered video reads.
 *
 * Until something is learned of an account, one wait at a time reads to learn it (a scout); the others whose look
 * is due wait for that reading instead of sending their own: when many resources start together (a large stack),
 * one read then teaches all of them, instead of each reading early once. Once a scout has read a download in
 * progress and learned nothing (progress that Cloudflare reports coarsely, or too little of it yet), nobody waits
 * for scouts of that account until a reading teaches something: each wait then reads on its own schedule.
 */
import type { DownloadType } from "./download-types";
import type { Progress } from "./poll-policy";

/** Downloads remembered per account and type: the most recent ones, as the account's speed may change. */
const RECENT = 16;
/** Readings below this share done are too coarse to learn from (a rounding of 0.05 % is 3 % of 1.7 %). */
const MIN_PERCENT_GAINED = 5;

/** What one watched download told: its whole generation time, how precisely, and for what length of video. */
interface Sample {
  totalMs: number;
  /** Progress gained between the two readings it comes from: a larger gain is a more precise estimate. */
  gained: number;
  durationSeconds?: number;
}

/** One download being watched: which one, and what the reading says. */
export interface GenerationReading {
  accountId: string;
  type: DownloadType;
  /** The video, so that each download keeps only its latest estimate. */
  videoId: string;
  /** The video's length in seconds, when Cloudflare has said. */
  durationSeconds?: number | undefined;
  /** The reading when the wait began (at creation: 0 %). */
  first: Progress;
  /** The newest reading, in progress. */
  latest: Progress;
}

/** Generation times learned from the downloads this process watched. */
export class GenerationRates {
  /** Per account and type, the recent downloads' estimates by video, oldest first. */
  private readonly samples = new Map<string, Map<string, Sample>>();
  /** Per account, the end of the reading a scout is taking. */
  private readonly scouts = new Map<string, Promise<void>>();
  /** Accounts whose last scout read a download in progress and learned nothing. */
  private readonly untaught = new Set<string>();

  /**
   * The end of the reading another wait is taking to learn this account's rate; undefined when none is, or when
   * scouting this account has taught nothing so far.
   */
  scouting(accountId: string): Promise<void> | undefined {
    return this.untaught.has(accountId) ? undefined : this.scouts.get(accountId);
  }

  /**
   * Marks a reading to learn this account's rate under way; call the result once it is read (or failed), saying
   * whether it read a download in progress that taught nothing.
   */
  scout(accountId: string): (taughtNothing?: boolean) => void {
    let end!: () => void;
    const reading = new Promise<void>((resolve) => (end = resolve));
    this.scouts.set(accountId, reading);
    return (taughtNothing = false) => {
      if (taughtNothing) this.untaught.add(accountId);
      if (this.scouts.get(accountId) === reading) this.scouts.delete(accountId);
      end();
    };
  }

  /**
   * Learns from one reading in progress; readings too coarse or with no progress teach nothing.
   * @returns whether it taught something
   */
  learn(reading: GenerationReading): boolean {
    const { first, latest } = reading;
    const elapsedMs = latest.at - first.at;
    const gained = latest.percent - first.percent;
    if (!(elapsedMs > 0 && gained >= MIN_PERCENT_GAINED && latest.percent < 100)) return false;
    this.untaught.delete(reading.accountId);
    const key = `${reading.accountId}/${reading.type}`;
    let recent = this.samples.get(key);
    if (recent === undefined) this.samples.set(key, (recent = new Map()));
    recent.delete(reading.videoId); // re-inserted as the newest
    recent.set(reading.videoId, {
      totalMs: (100 * elapsedMs) / gained,
      gained,
      ...(validDuration(reading.durationSeconds) ? { durationSeconds: reading.durationSeconds } : {}),
    });
    while (recent.size > RECENT) recent.delete(recent.keys().next().value as string);
    return true;
  }

  /**
   * How long a download of `type` on a video of `durationSeconds` should take to generate from creation, in ms:
   * the account's learned ms per second of video times the video's length, or without a length on either side,
   * the learned generation times themselves. Undefined when nothing was learned.
   */
  expectedMs(accountId: string, type: DownloadType, durationSeconds?: number): number | undefined {
    const recent = [...(this.samples.get(`${accountId}/${type}`)?.values() ?? [])];
    if (recent.length === 0) return undefined;
    if (validDuration(durationSeconds)) {
      const timed = recent.filter((s) => s.durationSeconds !== undefined);
      if (timed.length > 0) {
        return durationSeconds * weightedMean(timed.map((s) => [s.totalMs / (s.durationSeconds as number), s.gained]));
      }
    }
    return weightedMean(recent.map((s) => [s.totalMs, s.gained]));
  }
}

function validDuration(seconds: number | undefined): seconds is number {
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0;
}

/** The mean of values weighted by the square of their gain (an estimate's error shrinks as its gain grows). */
function weightedMean(values: Array<[value: number, gained: number]>): number {
  let sum = 0;
  let weights = 0;
  for (const [value, gained] of values) {
    sum += value * gained * gained;
    weights += gained * gained;
  }
  return sum / weights;
}

// A string key, not a Symbol: Pulumi's closure serializer cannot capture symbols.
const REGISTRY = "__pulumiCloudflareStreamDownloadGenerationRates";

/**
 * The generation rates shared by every client of one credential and endpoint in this process, on `globalThis` like
 * the shared limiter (closure serialization never captures it).
 * @param key identifies the credential and endpoint: a fingerprint, never the credential itself
 */
export function sharedGenerationRates(key: string): GenerationRates {
  const holder = globalThis as { [REGISTRY]?: Map<string, GenerationRates> };
  const all = (holder[REGISTRY] ??= new Map<string, GenerationRates>());
  let rates = all.get(key);
  if (rates === undefined) all.set(key, (rates = new GenerationRates()));
  return rates;
}
