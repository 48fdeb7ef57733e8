/**
 * The emulator's reading of a video list's parameters (src/emulator/list.ts): RFC 3339 times to the microsecond,
 * and the cursor's aliases; and the `created` times it writes, which its own cursor must read back exactly.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseListQuery, parseRfc3339Micros } from "../../src/emulator/list";
import { microsTimestamp } from "../../src/emulator/store";

const SEED = 20261128;

describe("emulator list parameters", () => {
  it("reads RFC 3339 times with any offset and up to nanoseconds, to the microsecond", () => {
    const base = Date.parse("2026-11-28T10:00:00Z") * 1000;
    assert.equal(parseRfc3339Micros("2026-11-28T10:00:00Z"), base);
    assert.equal(parseRfc3339Micros("2026-11-28T11:00:00+01:00"), base);
    assert.equal(parseRfc3339Micros("2026-11-28t10:00:00.000001z"), base + 1);
    assert.equal(parseRfc3339Micros("2026-11-28T10:00:00.5Z"), base + 500_000);
    assert.equal(parseRfc3339Micros("2026-11-28T10:00:00.123456789Z"), base + 123_456);
  });

  it("reads nothing that is not a full RFC 3339 date-time", () => {
    for (const text of [
      "2026-11-28",
      "2026-11-28T10:00:00",
      "2026-02-30T00:00:00Z",
      "2026-11-28 10:00:00Z",
      "yesterday",
      "",
    ]) {
      assert.equal(parseRfc3339Micros(text), undefined, text);
    }
  });

  it("reads back every created time the emulator writes, exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000_000 }), (micros) => {
        assert.equal(parseRfc3339Micros(microsTimestamp(micros)), micros);
        return true;
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("applies both a cursor time and its alias: the earlier end, the later start", () => {
    const parsed = parseListQuery(
      new URLSearchParams({
        before: "2026-01-02T00:00:00Z",
        end: "2026-01-01T00:00:00Z",
        after: "2025-01-01T00:00:00Z",
        start: "2025-06-01T00:00:00Z",
        id: "a, b,,c",
      }),
    );
    assert.ok("query" in parsed);
    assert.equal(parsed.query.beforeMicros, Date.parse("2026-01-01T00:00:00Z") * 1000);
    assert.equal(parsed.query.afterMicros, Date.parse("2025-06-01T00:00:00Z") * 1000);
    assert.deepEqual([...(parsed.query.ids ?? [])], ["a", "b", "c"]);
    assert.deepEqual([parsed.query.limit, parsed.query.asc, parsed.query.includeCounts], [1000, false, false]);
  });
});
