import assert from "node:assert/strict";
import { recordingLogger } from "./fixtures.ts";

Deno.test("a transition carries jobId, status, retry_count and error_code", () => {
  const { log, lines } = recordingLogger();
  log.transition("job.requeued", {
    id: "j1",
    status: "pending",
    retry_count: 1,
    error_code: "AI_TIMEOUT",
  }, {
    worker: "w",
  });
  const [line] = lines;
  assert.equal(line?.event, "job.requeued");
  assert.deepEqual(
    [line?.jobId, line?.status, line?.retry_count, line?.error_code, line?.worker],
    ["j1", "pending", 1, "AI_TIMEOUT", "w"],
  );
  assert.equal(line?.level, "info");
  assert.ok(typeof line?.time === "string");
});

Deno.test("no secret reaches a line, however deep it is", () => {
  const { log, lines } = recordingLogger(["my-deepseek-key"]);
  log.error("failed with my-deepseek-key", {
    nested: { list: ["Bearer abc.def", "sk-0123456789abcdef", "eyJhbGciOi.eyJzdWIiOi.sig"] },
    plain: "key=my-deepseek-key",
  });
  const text = JSON.stringify(lines);
  for (const secret of ["my-deepseek-key", "abc.def", "sk-0123456789abcdef", "eyJhbGciOi"]) {
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  }
  assert.match(text, /\[redacted\]/);
});

Deno.test("lines below the minimum level are dropped", () => {
  const { log, lines } = recordingLogger();
  log.debug("kept: the test logger logs debug");
  assert.equal(lines.length, 1);
});
