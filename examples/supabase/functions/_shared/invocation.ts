/**
 * One invocation of process-plan-queue: the recovery pass, then claim and run up to
 * `maxJobs` jobs, one attempt each.
 *
 * Whatever happens in an attempt, its job leaves through `complete_plan_job` or
 * `fail_plan_job` (a `finally`-style guarantee); only when the process itself dies does a
 * job stay `processing`, for stuck recovery. A failure passes the backoff settings and the
 * wait DeepSeek asked for, so the next attempt is scheduled after both (docs/contract.md). A result refused with PT409 (the attempt was
 * recovered or cancelled meanwhile) is dropped and logged, never retried.
 */

import { runAttempt } from "./attempt.ts";
import { type DeepSeekSettings, type QueueSettings, SettingsError } from "./config.ts";
import { PipelineError } from "./errors.ts";
import type { JsonObject } from "./json.ts";
import { describeError, type JsonLogger } from "./log.ts";
import { pushPayloadFor, pushPayloadJson } from "./notifications.ts";
import { ClaimLost, type JobRow, type PlanQueue, QueueError } from "./queue.ts";
import type { Slots } from "./slots.ts";

/** One claimed job after its attempt, as process-plan-queue reports it. */
export interface ProcessedJob {
  readonly jobId: string;
  /** completed | pending (requeued) | failed | processing (outcome not recorded) | cancelled ... */
  readonly status: string;
  readonly errorCode: string | null;
  readonly retryCount: number | null;
  readonly attemptMs: number;
  /** The attempt's result was refused (PT409): recovered or cancelled meanwhile. */
  readonly dropped: boolean;
}

export interface InvocationOutcome {
  readonly recoveredStuck: number;
  readonly recoveredStale: number;
  readonly processed: readonly ProcessedJob[];
}

/** What produces a plan for a claimed job; `runAttempt` unless a test brings another. */
export type Attempt = (
  job: JobRow,
  settings: DeepSeekSettings,
  log: JsonLogger,
) => Promise<{ readonly plan: JsonObject; readonly fixes: readonly string[] }>;

export interface WorkerContext {
  readonly queue: PlanQueue;
  readonly queueSettings: QueueSettings;
  /** The DeepSeek settings, or why they are unusable (every attempt then fails CONFIG_ERROR). */
  readonly deepseek: DeepSeekSettings | SettingsError;
  readonly workerId: string;
  readonly slots: Slots;
  readonly log: JsonLogger;
  readonly attempt?: Attempt;
}

/** The response body of process-plan-queue. */
export function outcomeToJson(outcome: InvocationOutcome): JsonObject {
  return {
    recovered: { stuck: outcome.recoveredStuck, stale: outcome.recoveredStale },
    processed: outcome.processed.map((job) => ({
      jobId: job.jobId,
      status: job.status,
      errorCode: job.errorCode,
    })),
  };
}

/**
 * The recovery pass, then up to `maxJobs` claims, each made only once an attempt slot is
 * free; resolves when every started attempt has ended. A failed claim still lets the
 * started attempts finish before it is rethrown.
 */
export async function runInvocation(
  context: WorkerContext,
  maxJobs: number,
): Promise<InvocationOutcome> {
  const { queue, queueSettings, log } = context;
  const backoff = { baseMs: queueSettings.retryBaseMs, capMs: queueSettings.retryCapMs };
  const recoveredStuck = await queue.resetStuck(queueSettings.stuckAfterMs, backoff);
  const recoveredStale = await queue.expireStale(queueSettings.stalePendingAfterMs);
  if (recoveredStuck > 0 || recoveredStale > 0) {
    log.info("recovery pass", {
      event: "queue.recovered",
      stuck: recoveredStuck,
      stale: recoveredStale,
    });
  }
  const attempts: Promise<ProcessedJob>[] = [];
  try {
    for (let claimed = 0; claimed < maxJobs; claimed++) {
      await context.slots.acquire();
      let job: JobRow | null;
      try {
        job = await queue.claimNext(context.workerId);
      } catch (error) {
        context.slots.release();
        throw error;
      }
      if (job === null) {
        context.slots.release();
        break;
      }
      log.transition("job.claimed", job, { worker: context.workerId });
      attempts.push(attemptInSlot(context, job));
    }
  } finally {
    // Every started attempt ends through complete or fail, even when a claim failed.
    await Promise.allSettled(attempts);
  }
  return { recoveredStuck, recoveredStale, processed: await Promise.all(attempts) };
}

/** One attempt holding a slot; never rejects. */
async function attemptInSlot(context: WorkerContext, job: JobRow): Promise<ProcessedJob> {
  const started = performance.now();
  try {
    return await processClaimedJob(context, job);
  } catch (error) {
    context.log.error(
      "the attempt's outcome could not be recorded; the job stays processing for stuck recovery",
      { event: "job.outcome_unrecorded", jobId: job.id, exception: describeError(error) },
    );
    return processed(job.id, "processing", null, job.retry_count, started);
  } finally {
    context.slots.release();
  }
}

/** One attempt for a claimed job, ending in `complete_plan_job` or `fail_plan_job`. */
export async function processClaimedJob(
  context: WorkerContext,
  job: JobRow,
): Promise<ProcessedJob> {
  const started = performance.now();
  const claimToken = job.claim_token;
  if (claimToken === null) {
    throw new QueueError(
      "claim_next_plan_job",
      null,
      `job ${job.id} was claimed without a claim token`,
    );
  }
  let result: { readonly plan: JsonObject; readonly fixes: readonly string[] };
  try {
    const settings = context.deepseek;
    if (settings instanceof SettingsError) {
      throw new PipelineError("CONFIG_ERROR", settings.message);
    }
    result = await (context.attempt ?? runAttempt)(job, settings, context.log);
  } catch (error) {
    const failure = error instanceof PipelineError ? error : unexpected(error);
    return await fail(context, job, claimToken, failure, started);
  }
  let row: JobRow;
  try {
    row = await context.queue.complete(job.id, claimToken, result.plan);
  } catch (error) {
    if (error instanceof ClaimLost) {
      return await dropped(
        context,
        job,
        started,
        "completion refused: the attempt was recovered or cancelled",
      );
    }
    return await fail(context, job, claimToken, unexpected(error), started);
  }
  context.log.transition("job.completed", row, {
    worker: context.workerId,
    attempt_ms: elapsed(started),
    fixes: [...result.fixes],
    push: pushPayload(row),
  });
  return processed(row.id, row.status, null, row.retry_count, started);
}

async function fail(
  context: WorkerContext,
  job: JobRow,
  claimToken: string,
  error: PipelineError,
  started: number,
): Promise<ProcessedJob> {
  let row: JobRow;
  try {
    row = await context.queue.fail(job.id, claimToken, error.code, error.message, error.retryable, {
      retryAfterMs: error.retryAfterMs,
      baseMs: context.queueSettings.retryBaseMs,
      capMs: context.queueSettings.retryCapMs,
    });
  } catch (failure) {
    if (failure instanceof ClaimLost) {
      return await dropped(
        context,
        job,
        started,
        `failure (${error.code}) refused: the attempt was recovered or cancelled`,
      );
    }
    context.log.error("could not record the failure; the job stays processing for stuck recovery", {
      event: "job.fail_unrecorded",
      jobId: job.id,
      status: job.status,
      retry_count: job.retry_count,
      error_code: error.code,
      exception: describeError(failure),
    });
    return processed(job.id, "processing", error.code, job.retry_count, started);
  }
  const event = row.status === "pending" ? "job.requeued" : "job.failed";
  context.log.transition(event, row, {
    worker: context.workerId,
    attempt_ms: elapsed(started),
    error_message: row.error_message,
    run_after: row.run_after ?? undefined,
    push: pushPayload(row),
  });
  return processed(row.id, row.status, row.error_code, row.retry_count, started);
}

/** The attempt's result was refused; report the job as it is now. */
async function dropped(
  context: WorkerContext,
  job: JobRow,
  started: number,
  reason: string,
): Promise<ProcessedJob> {
  let current: JobRow = job;
  try {
    current = (await context.queue.getJob(job.id)) ?? job;
  } catch (error) {
    context.log.warn("could not read the job after its result was refused", {
      jobId: job.id,
      exception: describeError(error),
    });
  }
  context.log.transition("job.result_dropped", current, { worker: context.workerId, reason });
  return {
    ...processed(job.id, current.status, current.error_code, current.retry_count, started),
    dropped: true,
  };
}

/** The push notification for the job's new state, logged with its transition (none when requeued). */
function pushPayload(row: JobRow): JsonObject | undefined {
  const payload = pushPayloadFor(row);
  return payload === null ? undefined : pushPayloadJson(payload);
}

function unexpected(error: unknown): PipelineError {
  return new PipelineError("UNEXPECTED_ERROR", `${describeError(error)} while processing the job`);
}

function processed(
  jobId: string,
  status: string,
  errorCode: string | null,
  retryCount: number | null,
  started: number,
): ProcessedJob {
  return { jobId, status, errorCode, retryCount, attemptMs: elapsed(started), dropped: false };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
