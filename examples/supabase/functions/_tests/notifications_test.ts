import assert from "node:assert/strict";
import { pushPayloadFor } from "../_shared/notifications.ts";

const JOB = { id: "3b0d0a9e-5f7c-4c55-8a3e-111111111111", user_id: "u1" };

Deno.test("a completed job links to the plan preview, a failed one to plan building", () => {
  assert.equal(
    pushPayloadFor({ ...JOB, status: "completed" })?.deepLink,
    `/plan-preview?jobId=${JOB.id}`,
  );
  assert.equal(
    pushPayloadFor({ ...JOB, status: "failed" })?.deepLink,
    `/plan-building?jobId=${JOB.id}`,
  );
  assert.equal(pushPayloadFor({ ...JOB, status: "failed" })?.kind, "plan_failed");
});

Deno.test("requeued and cancelled jobs get no notification; no link to the removed screen", () => {
  for (const status of ["pending", "processing", "cancelled"]) {
    assert.equal(pushPayloadFor({ ...JOB, status }), null);
  }
  for (const status of ["completed", "failed"]) {
    assert.doesNotMatch(JSON.stringify(pushPayloadFor({ ...JOB, status })), /generating-base-plan/);
  }
});
