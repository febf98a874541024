import assert from "node:assert/strict";
import { SettingsError } from "../_shared/config.ts";
import { PipelineError } from "../_shared/errors.ts";
import {
  type Attempt,
  outcomeToJson,
  runInvocation,
  type WorkerContext,
} from "../_shared/invocation.ts";
import { profileToJson } from "../_shared/profile.ts";
import { ClaimLost } from "../_shared/queue.ts";
import { Slots } from "../_shared/slots.ts";
import { computeTargets, targetsToJson } from "../_shared/targets.ts";
import { deepseekSettings, profile, recordingLogger, validPlan } from "./fixtures.ts";
import { MemoryQueue } from "./memory_queue.ts";

const PROFILE = profile();
const TARGETS = computeTargets(PROFILE);
const INPUT = { profile: profileToJson(PROFILE), targets: targetsToJson(TARGETS) };
const QUEUE_SETTINGS = {
  maxRetries: 3,
  stuckAfterMs: 600_000,
  stalePendingAfterMs: 1_800_000,
  regenerationCooldownMs: 0,
  retryBaseMs: 250,
  retryCapMs: 4000,
  workerConcurrency: 10,
  processQueueUrl: null,
  maxBodyBytes: 65536,
};

const succeeds: Attempt = () => Promise.resolve({ plan: validPlan(PROFILE, TARGETS), fixes: [] });

function context(queue: MemoryQueue, attempt: Attempt, overrides: Partial<WorkerContext> = {}) {
  const recorded = recordingLogger();
  const worker: WorkerContext = {
    queue,
    queueSettings: QUEUE_SETTINGS,
    deepseek: deepseekSettings("http://127.0.0.1:9"),
    workerId: "test-worker",
    slots: new Slots(10),
    log: recorded.log,
    attempt,
    ...overrides,
  };
  return { worker, lines: recorded.lines };
}

Deno.test("recovery runs first, then each claimed job gets one attempt and completes", async () => {
  const queue = new MemoryQueue();
  queue.stuck = 2;
  queue.stale = 1;
  const ids = [queue.add(INPUT), queue.add(INPUT)];
  const { worker, lines } = context(queue, succeeds);

  const outcome = await runInvocation(worker, 5);

  assert.deepEqual(queue.calls.slice(0, 2), ["reset_stuck", "expire_stale"]);
  assert.deepEqual(outcomeToJson(outcome), {
    recovered: { stuck: 2, stale: 1 },
    processed: ids.map((jobId) => ({ jobId, status: "completed", errorCode: null })),
  });
  assert.equal(
    queue.calls.filter((call) => call === "claim").length,
    3,
    "two jobs, then an empty claim",
  );
  const events = lines.filter((line) => line.jobId === ids[0]).map((line) => line.event);
  assert.deepEqual(events, ["job.claimed", "job.completed"]);
  const push = lines.find((line) => line.event === "job.completed")?.push as Record<string, string>;
  assert.equal(push.deepLink, `/plan-preview?jobId=${ids[0]}`);
});

Deno.test("a retryable failure requeues the job; the last attempt fails it with a plan-building link", async () => {
  const queue = new MemoryQueue();
  const id = queue.add(INPUT, 2);
  const { worker, lines } = context(
    queue,
    () => Promise.reject(new PipelineError("AI_RATE_LIMIT", "busy")),
  );

  const first = await runInvocation(worker, 1);
  const waiting = await runInvocation(worker, 1);
  queue.endBackoff(id);
  const second = await runInvocation(worker, 1);

  assert.deepEqual(first.processed.map((job) => [job.status, job.errorCode, job.retryCount]), [[
    "pending",
    "AI_RATE_LIMIT",
    1,
  ]]);
  assert.deepEqual(waiting.processed, [], "a job waiting for its backoff was claimed");
  assert.deepEqual(second.processed.map((job) => [job.status, job.errorCode, job.retryCount]), [[
    "failed",
    "AI_RATE_LIMIT",
    2,
  ]]);
  assert.deepEqual(
    lines.filter((line) => line.jobId === id && line.event).map((line) => line.event),
    [
      "job.claimed",
      "job.requeued",
      "job.claimed",
      "job.failed",
    ],
  );
  const requeued = lines.find((line) => line.event === "job.requeued");
  assert.deepEqual([requeued?.status, requeued?.retry_count, requeued?.error_code], [
    "pending",
    1,
    "AI_RATE_LIMIT",
  ]);
  assert.equal(
    typeof requeued?.run_after,
    "string",
    "the requeue logs when the next attempt is due",
  );
  assert.equal(
    lines.find((line) => line.event === "job.requeued")?.push,
    undefined,
    "no push when requeued",
  );
  const push = lines.find((line) => line.event === "job.failed")?.push as Record<string, string>;
  assert.equal(push.deepLink, `/plan-building?jobId=${id}`);
});

Deno.test("failures and stuck recovery pass the backoff settings and the wait DeepSeek asked for", async () => {
  const queue = new MemoryQueue();
  queue.add(INPUT);
  queue.add(INPUT);
  const asked = new PipelineError("AI_RATE_LIMIT", "429", 30_000);
  const failures = [asked, new PipelineError("AI_UPSTREAM_ERROR", "502")];
  const { worker } = context(queue, () => Promise.reject(failures.shift()));

  await runInvocation(worker, 2);

  assert.deepEqual(queue.schedules, [
    { baseMs: 250, capMs: 4000 },
    { retryAfterMs: 30_000, baseMs: 250, capMs: 4000 },
    { retryAfterMs: null, baseMs: 250, capMs: 4000 },
  ]);
});

Deno.test("quota and config errors are sent as not retryable", async () => {
  const queue = new MemoryQueue();
  queue.add(INPUT);
  const { worker } = context(
    queue,
    () => Promise.reject(new PipelineError("AI_QUOTA_EXCEEDED", "no balance")),
  );
  const outcome = await runInvocation(worker, 1);
  assert.equal(outcome.processed[0]?.status, "failed");
  assert.ok(queue.calls.some((call) => call.endsWith("AI_QUOTA_EXCEEDED false")));
});

Deno.test("an exception that is not a PipelineError still fails the job, as UNEXPECTED_ERROR", async () => {
  const queue = new MemoryQueue();
  const id = queue.add(INPUT);
  const { worker } = context(
    queue,
    () => Promise.reject(new TypeError("undefined is not a function")),
  );
  const outcome = await runInvocation(worker, 1);
  assert.deepEqual(outcome.processed.map((job) => [job.status, job.errorCode]), [[
    "pending",
    "UNEXPECTED_ERROR",
  ]]);
  assert.match(queue.job(id).error_message ?? "", /TypeError: undefined is not a function/);
});

Deno.test("unusable DeepSeek settings fail each claimed job with CONFIG_ERROR, not retried", async () => {
  const queue = new MemoryQueue();
  const id = queue.add(INPUT);
  let attempted = false;
  const { worker } = context(queue, (job, settings, log) => {
    attempted = true;
    return succeeds(job, settings, log);
  }, { deepseek: new SettingsError("DEEPSEEK_BASE_URL must be an http(s) URL") });
  const outcome = await runInvocation(worker, 1);
  assert.equal(attempted, false);
  assert.deepEqual(outcome.processed.map((job) => [job.status, job.errorCode]), [[
    "failed",
    "CONFIG_ERROR",
  ]]);
  assert.match(queue.job(id).error_message ?? "", /DEEPSEEK_BASE_URL/);
});

Deno.test("a completion refused with PT409 is dropped and never retried or failed", async () => {
  const queue = new MemoryQueue();
  const id = queue.add(INPUT);
  const cancelDuringAttempt: Attempt = (job) => {
    queue.job(job.id).status = "cancelled"; // the user cancelled while DeepSeek answered
    queue.job(job.id).error_code = "CANCELLED";
    return succeeds(job, deepseekSettings("x"), recordingLogger().log);
  };
  const { worker, lines } = context(queue, cancelDuringAttempt);

  const outcome = await runInvocation(worker, 1);

  assert.deepEqual(outcome.processed, [{
    ...outcome.processed[0],
    jobId: id,
    status: "cancelled",
    errorCode: "CANCELLED",
    dropped: true,
  }]);
  assert.deepEqual(
    queue.calls.filter((call) => call.startsWith("fail") || call.startsWith("complete")),
    [`complete ${id}`],
  );
  assert.equal(queue.job(id).plan, null, "the plan is not saved");
  assert.ok(
    lines.some((line) => line.event === "job.result_dropped" && line.status === "cancelled"),
  );
});

Deno.test("a failure refused with PT409 is dropped too", async () => {
  const queue = new MemoryQueue();
  const id = queue.add(INPUT);
  queue.failures.fail = new ClaimLost("fail_plan_job", "PT409", "recovered");
  const { worker } = context(queue, () => Promise.reject(new PipelineError("AI_TIMEOUT", "slow")));
  const outcome = await runInvocation(worker, 1);
  assert.equal(outcome.processed[0]?.dropped, true);
  assert.equal(queue.calls.filter((call) => call.startsWith(`fail ${id}`)).length, 1);
});

Deno.test("a completion that fails for another reason goes through fail_plan_job", async () => {
  const queue = new MemoryQueue();
  queue.add(INPUT);
  queue.failures.complete = new Error("connection reset by peer");
  const { worker } = context(queue, succeeds);
  const outcome = await runInvocation(worker, 1);
  assert.deepEqual(outcome.processed.map((job) => [job.status, job.errorCode]), [[
    "pending",
    "UNEXPECTED_ERROR",
  ]]);
});

Deno.test("when even fail_plan_job cannot be reached the job is reported processing, for stuck recovery", async () => {
  const queue = new MemoryQueue();
  queue.add(INPUT);
  queue.failures.fail = new Error("database unreachable");
  const { worker, lines } = context(
    queue,
    () => Promise.reject(new PipelineError("AI_TIMEOUT", "slow")),
  );
  const outcome = await runInvocation(worker, 1);
  assert.deepEqual(outcome.processed.map((job) => [job.status, job.errorCode]), [[
    "processing",
    "AI_TIMEOUT",
  ]]);
  assert.ok(lines.some((line) => line.event === "job.fail_unrecorded" && line.level === "error"));
});

Deno.test("a job is claimed only while an attempt slot is free", async () => {
  const queue = new MemoryQueue();
  for (let index = 0; index < 4; index++) queue.add(INPUT);
  let running = 0;
  let most = 0;
  const slow: Attempt = async (job, settings, log) => {
    running += 1;
    most = Math.max(most, running);
    const claimed = queue.jobs.filter((candidate) => candidate.status === "processing").length;
    assert.ok(claimed <= 2, `${claimed} jobs claimed with 2 slots`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running -= 1;
    return succeeds(job, settings, log);
  };
  const { worker } = context(queue, slow, { slots: new Slots(2) });
  const outcome = await runInvocation(worker, 4);
  assert.equal(most, 2);
  assert.deepEqual(outcome.processed.map((job) => job.status), [
    "completed",
    "completed",
    "completed",
    "completed",
  ]);
  assert.equal(worker.slots.free, 2, "every slot is given back");
});

Deno.test("maxJobs bounds the claims; a claim error still lets started attempts finish", async () => {
  const queue = new MemoryQueue();
  const ids = [queue.add(INPUT), queue.add(INPUT), queue.add(INPUT)];
  const { worker } = context(queue, succeeds);
  const outcome = await runInvocation(worker, 2);
  assert.equal(outcome.processed.length, 2);
  assert.equal(queue.job(ids[2] ?? "").status, "pending");

  queue.failures.claim = new Error("claim failed");
  await assert.rejects(runInvocation(worker, 2), /claim failed/);
  assert.equal(worker.slots.free, 10);
});
