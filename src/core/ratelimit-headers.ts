/**
 * Reads Cloudflare's rate-limit headers: the server's own count of what is left of a token's quota, shared by
 * every client of that token (this process, another `pulumi up`, Terraform, the dashboard).
 *
 * `Ratelimit: "default";r=<remaining>;t=<seconds until reset>` and
 * `Ratelimit-Policy: "default";q=<quota>;w=<window seconds>`, as structured-field lists: several items may come
 * comma-separated, names may be quoted strings or bare tokens, parameters other than these are ignored. The
 * older draft's separate `RateLimit-Remaining` / `RateLimit-Reset` / `RateLimit-Limit` numbers are read too.
 * Anything unreadable is left out rather than guessed: the caller then falls back to its own budget.
 */

/** One quota as the server counts it, at the time of the answer. */
export interface ServerQuota {
  /** The policy's name ("default" at Cloudflare). */
  name: string;
  /** Requests left before the reset. */
  remaining: number;
  /** Milliseconds from the answer until the quota resets. */
  resetMs: number;
  /** Requests per window, from `Ratelimit-Policy`, when given. */
  quota?: number;
  /** The window, in ms, from `Ratelimit-Policy`, when given. */
  windowMs?: number;
}

/** Header lookup, case-insensitive as HTTP's (node-fetch's `Headers.get`, or a plain lowercase record). */
export type HeaderLookup = (name: string) => string | null | undefined;

interface Item {
  name: string;
  params: Map<string, string>;
}

/** A non-negative number (seconds or a count); undefined for anything else. */
function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && quoted && i + 1 < text.length) {
      current += c + (text[++i] as string);
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(text: string): string | undefined {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (t.length < 2 || !t.endsWith('"')) return undefined;
    return t.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return /^[A-Za-z*][A-Za-z0-9_\-.:%*/]*$/.test(t) ? t : undefined;
}

/** Parses a structured-field list of items with parameters; malformed items are dropped. */
export function parseItems(header: string | null | undefined): Item[] {
  if (header === null || header === undefined) return [];
  const items: Item[] = [];
  for (const member of splitOutsideQuotes(header, ",")) {
    const [head = "", ...rest] = splitOutsideQuotes(member, ";");
    const name = unquote(head);
    if (name === undefined) continue;
    const params = new Map<string, string>();
    for (const param of rest) {
      const eq = param.indexOf("=");
      const key = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
      if (key === "") continue;
      const raw = eq < 0 ? "?1" : param.slice(eq + 1).trim();
      params.set(key, unquote(raw) ?? raw);
    }
    items.push({ name, params });
  }
  return items;
}

/**
 * The quotas the answer reports, one per policy name; empty when the headers are absent or unreadable.
 * A `Ratelimit` item needs a readable `r` and `t`; its `Ratelimit-Policy` item of the same name, when there is
 * one, adds the quota and window.
 */
export function parseRateLimitHeaders(get: HeaderLookup): ServerQuota[] {
  const policies = new Map<string, { quota?: number; windowMs?: number }>();
  for (const item of parseItems(get("ratelimit-policy"))) {
    const quota = count(item.params.get("q"));
    const window = count(item.params.get("w"));
    policies.set(item.name, {
      ...(quota !== undefined && Number.isInteger(quota) && quota > 0 ? { quota } : {}),
      ...(window !== undefined && window > 0 ? { windowMs: window * 1000 } : {}),
    });
  }
  const quotas: ServerQuota[] = [];
  const seen = new Set<string>();
  for (const item of parseItems(get("ratelimit"))) {
    const remaining = count(item.params.get("r"));
    const reset = count(item.params.get("t"));
    if (remaining === undefined || !Number.isInteger(remaining) || reset === undefined || seen.has(item.name)) {
      continue;
    }
    seen.add(item.name);
    quotas.push({ name: item.name, remaining, resetMs: Math.ceil(reset * 1000), ...policies.get(item.name) });
  }
  if (quotas.length > 0) return quotas;

  // The older draft: one quota as three plain numbers.
  const remaining = count(get("ratelimit-remaining")?.trim());
  const reset = count(get("ratelimit-reset")?.trim());
  const limit = count(get("ratelimit-limit")?.split(/[,;]/)[0]?.trim());
  if (remaining === undefined || !Number.isInteger(remaining) || reset === undefined) return [];
  return [
    {
      name: "default",
      remaining,
      resetMs: Math.ceil(reset * 1000),
      ...(limit !== undefined && Number.isInteger(limit) && limit > 0 ? { quota: limit } : {}),
    },
  ];
}
