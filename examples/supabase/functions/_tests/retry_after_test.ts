import assert from "node:assert/strict";
import { retryAfterMs } from "../_shared/retry_after.ts";

const NOW = new Date("2026-11-30T10:00:00Z");

function wait(headers: Record<string, string>): number | null {
  return retryAfterMs(new Headers(headers), NOW);
}

Deno.test("retry-after-ms comes first, then Retry-After in seconds (fractions allowed)", () => {
  assert.equal(wait({ "retry-after-ms": "250", "retry-after": "9" }), 250);
  assert.equal(wait({ "retry-after": "2" }), 2000);
  assert.equal(wait({ "retry-after": " 0.02 " }), 20);
});

Deno.test("Retry-After as an HTTP date counts from now; a past date means no wait", () => {
  assert.equal(wait({ "retry-after": "Mon, 30 Nov 2026 10:00:03 GMT" }), 3000);
  assert.equal(wait({ "retry-after": "Mon, 30 Nov 2026 09:00:00 GMT" }), 0);
});

Deno.test("missing, negative and unparsable values are ignored", () => {
  assert.equal(wait({}), null);
  assert.equal(wait({ "retry-after": "-1" }), null);
  assert.equal(wait({ "retry-after": "soon" }), null);
  assert.equal(wait({ "retry-after-ms": "", "retry-after": "1" }), 1000);
  assert.equal(wait({ "retry-after-ms": "0x10" }), null);
});
