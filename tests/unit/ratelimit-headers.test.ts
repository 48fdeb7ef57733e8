import assert from "node:assert/strict";
import { parseItems, parseRateLimitHeaders } from "../../src/core/ratelimit-headers";

/** A case-insensitive header lookup over a plain record, as node-fetch's `Headers.get` is. */
function headers(record: Record<string, string>): (name: string) => string | null {
  const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
}

describe("parseRateLimitHeaders", () => {
  it("reads Cloudflare's documented pair: remaining, reset, quota and window", () => {
    assert.deepEqual(
      parseRateLimitHeaders(
        headers({ Ratelimit: '"default";r=1199;t=300', "Ratelimit-Policy": '"default";q=1200;w=300' }),
      ),
      [{ name: "default", remaining: 1199, resetMs: 300_000, quota: 1200, windowMs: 300_000 }],
    );
  });

  it("returns nothing when the headers are absent, so the caller keeps its own budget", () => {
    assert.deepEqual(parseRateLimitHeaders(headers({})), []);
    assert.deepEqual(parseRateLimitHeaders(headers({ "Ratelimit-Policy": '"default";q=1200;w=300' })), []);
  });

  it("reads the header names in any case", () => {
    const parsed = parseRateLimitHeaders(
      headers({ RATELIMIT: '"default";r=5;t=10', "ratelimit-POLICY": '"default";q=9;w=10' }),
    );
    assert.deepEqual(parsed, [{ name: "default", remaining: 5, resetMs: 10_000, quota: 9, windowMs: 10_000 }]);
  });

  it("reads parameter names in any case, and ignores parameters it does not know", () => {
    assert.deepEqual(parseRateLimitHeaders(headers({ Ratelimit: '"default";R=7;pk=:Zm9v:;T=3;extra="x;y"' })), [
      { name: "default", remaining: 7, resetMs: 3000 },
    ]);
  });

  it("takes a quoted name or a bare token as the policy's name", () => {
    assert.deepEqual(
      parseRateLimitHeaders(headers({ Ratelimit: "default;r=1;t=2", "Ratelimit-Policy": '"default";q=4;w=2' })),
      [{ name: "default", remaining: 1, resetMs: 2000, quota: 4, windowMs: 2000 }],
    );
    assert.deepEqual(parseRateLimitHeaders(headers({ Ratelimit: '"with, comma;and semicolon";r=1;t=2' })), [
      { name: "with, comma;and semicolon", remaining: 1, resetMs: 2000 },
    ]);
  });

  it("reads several policies, each matched to its own Ratelimit-Policy item by name", () => {
    const parsed = parseRateLimitHeaders(
      headers({
        Ratelimit: '"default";r=900;t=200, "burst";r=3;t=1',
        "Ratelimit-Policy": '"burst";q=50;w=1, "default";q=1200;w=300',
      }),
    );
    assert.deepEqual(parsed, [
      { name: "default", remaining: 900, resetMs: 200_000, quota: 1200, windowMs: 300_000 },
      { name: "burst", remaining: 3, resetMs: 1000, quota: 50, windowMs: 1000 },
    ]);
  });

  it("drops a malformed item and keeps the readable ones", () => {
    const cases: Array<[string, number]> = [
      ['"default";r=abc;t=30', 0],
      ['"default";r=-1;t=30', 0],
      ['"default";r=1.5;t=30', 0],
      ['"default";t=30', 0],
      ['"default";r=10', 0],
      ['"default;r=10;t=30', 0],
      ["=;;,", 0],
      ["", 0],
      ['"a";r=x;t=1, "b";r=2;t=1', 1],
    ];
    for (const [value, count] of cases) {
      assert.equal(parseRateLimitHeaders(headers({ Ratelimit: value })).length, count, value);
    }
    assert.deepEqual(
      parseRateLimitHeaders(headers({ Ratelimit: '"default";r=3;t=4', "Ratelimit-Policy": '"default";q=zero;w=-5' })),
      [{ name: "default", remaining: 3, resetMs: 4000 }],
      "an unreadable policy leaves the count without quota and window",
    );
  });

  it("rounds a fractional reset up to whole milliseconds, and keeps the first item of a repeated name", () => {
    assert.deepEqual(parseRateLimitHeaders(headers({ Ratelimit: '"default";r=2;t=0.0005, "default";r=9;t=9' })), [
      { name: "default", remaining: 2, resetMs: 1 },
    ]);
  });

  it("falls back to the older draft's separate numbers", () => {
    assert.deepEqual(
      parseRateLimitHeaders(
        headers({ "RateLimit-Remaining": "42", "RateLimit-Reset": "17", "RateLimit-Limit": "100" }),
      ),
      [{ name: "default", remaining: 42, resetMs: 17_000, quota: 100 }],
    );
    assert.deepEqual(parseRateLimitHeaders(headers({ "RateLimit-Remaining": "42" })), [], "no reset: unusable");
  });

  it("never throws on answers nobody listed, and reads every well-formed item it is given (seeded)", () => {
    const seed = 20261201;
    let state = seed;
    // mulberry32: a small seeded generator, so that a failure names an input that can be replayed.
    const random = (): number => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const junk = (): string =>
      Array.from({ length: Math.floor(random() * 12) }, () => pick([...'";,=:-. \t?*aZ9rRtTqw\\'])).join("");
    const casing = (key: string): string => (random() < 0.5 ? key : key.toUpperCase());

    for (let i = 0; i < 3000; i++) {
      const remaining = Math.floor(random() * 2000);
      const reset = Math.floor(random() * 400);
      const name = pick(["default", "burst", "a-b.c"]);
      const params = [`${casing("r")}=${remaining}`, `${casing("t")}=${reset}`, `x${junk().replace(/[;,"\\]/g, "")}=1`];
      params.sort(() => random() - 0.5);
      const wellFormed = `${random() < 0.5 ? `"${name}"` : name};${params.join(";")}`;
      const value = random() < 0.5 ? `${wellFormed}, ${junk()}` : junk();
      const policy = random() < 0.5 ? `"${name}";q=${remaining + 1};w=${reset + 1}` : junk();
      const context = `seed ${seed}, case ${i}: Ratelimit: ${value} / Ratelimit-Policy: ${policy}`;

      let parsed: ReturnType<typeof parseRateLimitHeaders>;
      try {
        parsed = parseRateLimitHeaders(headers({ Ratelimit: value, "Ratelimit-Policy": policy }));
      } catch (error) {
        assert.fail(`threw ${String(error)} on ${context}`);
      }
      const names = new Set<string>();
      for (const q of parsed) {
        assert.ok(Number.isInteger(q.remaining) && q.remaining >= 0, context);
        assert.ok(Number.isFinite(q.resetMs) && q.resetMs >= 0, context);
        assert.ok(q.quota === undefined || (Number.isInteger(q.quota) && q.quota > 0), context);
        assert.ok(!names.has(q.name), `one count per name: ${context}`);
        names.add(q.name);
      }
      if (value.startsWith(wellFormed)) {
        const found = parsed.find((q) => q.name === name);
        assert.equal(found?.remaining, remaining, context);
        assert.equal(found?.resetMs, reset * 1000, context);
      }
    }
  });
});

describe("parseRateLimitHeaders, at the edges of the syntax", () => {
  const read = (ratelimit: string, policy?: string) =>
    parseRateLimitHeaders(
      headers({ Ratelimit: ratelimit, ...(policy === undefined ? {} : { "Ratelimit-Policy": policy }) }),
    );

  it("reads escapes inside a quoted name, where a quote or separator does not end it", () => {
    assert.deepEqual(read('"a\\";b";r=1;t=2'), [{ name: 'a";b', remaining: 1, resetMs: 2000 }]);
    assert.deepEqual(read('"a\\\\b";r=1;t=2'), [{ name: "a\\b", remaining: 1, resetMs: 2000 }]);
    assert.deepEqual(read('"";r=1;t=2'), [{ name: "", remaining: 1, resetMs: 2000 }], "an empty quoted name");
  });

  it("drops a bare name that is not a token, in whole", () => {
    for (const value of ['a"b";r=1;t=2', "9abc;r=1;t=2", "ab(c;r=1;t=2"]) assert.deepEqual(read(value), [], value);
  });

  it("reads only whole decimal numbers of seconds and counts", () => {
    for (const value of ['"default";r=5e3;t=1', '"default";r=5.;t=1', '"default";r=0x10;t=1'])
      assert.deepEqual(read(value), [], value);
  });

  it("reads parameters with spaces around them, and ignores a parameter without a value", () => {
    assert.deepEqual(read('"default"; r=5; t= 1;rr'), [{ name: "default", remaining: 5, resetMs: 1000 }]);
  });

  it("leaves out a quota or window of 0, and one the policy does not give", () => {
    assert.deepEqual(read('"default";r=5;t=1', '"default";q=0;w=0'), [
      { name: "default", remaining: 5, resetMs: 1000 },
    ]);
    assert.deepEqual(read('"default";r=5;t=1', '"default";w=60'), [
      { name: "default", remaining: 5, resetMs: 1000, windowMs: 60_000 },
    ]);
    assert.deepEqual(read('"default";r=5;t=1', '"default";q=60'), [
      { name: "default", remaining: 5, resetMs: 1000, quota: 60 },
    ]);
  });

  it("reads the older draft's limit before its first separator, and leaves out a limit of 0 or none", () => {
    const older = (limit?: string) =>
      parseRateLimitHeaders(
        headers({
          "RateLimit-Remaining": "4",
          "RateLimit-Reset": "2",
          ...(limit === undefined ? {} : { "RateLimit-Limit": limit }),
        }),
      );
    assert.deepEqual(older("100 ;w=60"), [{ name: "default", remaining: 4, resetMs: 2000, quota: 100 }]);
    assert.deepEqual(older("0"), [{ name: "default", remaining: 4, resetMs: 2000 }]);
    assert.deepEqual(older(), [{ name: "default", remaining: 4, resetMs: 2000 }]);
  });
});

describe("parseItems: a structured-field list of items with parameters", () => {
  const items = (header: string) => parseItems(header).map(({ name, params }) => [name, Object.fromEntries(params)]);

  it("drops a quoted name that does not close, or is a lone quote", () => {
    for (const header of ['"', '"abc', 'abc"', '"abc;r=1']) assert.deepEqual(items(header), [], header);
    assert.deepEqual(items('"";r=1'), [["", { r: "1" }]]);
  });

  it("splits at a comma after a backslash outside quotes: only a quoted string escapes", () => {
    assert.deepEqual(items("a;r=1\\,b;r=2"), [
      ["a", { r: "1\\" }],
      ["b", { r: "2" }],
    ]);
  });

  it("gives a parameter without a value the value true (?1), and drops one without a name", () => {
    assert.deepEqual(items("a;flag;=5; =6;R=7"), [["a", { flag: "?1", r: "7" }]]);
  });
});
