/**
 * An in-memory `PlanQueue` with the contract's semantics (docs/contract.md): claims of due
 * jobs in creation order with a fresh claim token, PT409 (`ClaimLost`) for a stale token,
 * and `fail` counting the attempt, failing the job at `max_retries` or when not retryable,
 * else scheduling the next attempt (`run_after`) after the longer of the backoff base and
 * the asked wait (no jitter here: the SQL's own is checked by the scenarios).
 */

import type { AttemptErrorCode } from "../_shared/errors.ts";
import type { JsonObject, JsonValue } from "../_shared/json.ts";
import {
  type Backoff,
  ClaimLost,
  type EnqueueRequest,
  type EnqueueResult,
  type JobRow,
  type PlanQueue,
  QueueError,
  type RetrySchedule,
} from "../_shared/queue.ts";

interface StoredJob {
  id: string;
  user_id: string;
  status: string;
  input: JsonValue;
  retry_count: number;
  max_retries: number;
  error_code: string | null;
  error_message: string | null;
  claim_token: string | null;
  run_after: string | null;
  plan: JsonObject | null;
}

export class MemoryQueue implements PlanQueue {
  readonly jobs: StoredJob[] = [];
  /** Every call, as `name jobId?`, in order. */
  readonly calls: string[] = [];
  stuck = 0;
  stale = 0;
  /** Makes the next complete/fail/claim throw this instead (once). */
  failures: { complete?: Error; fail?: Error; claim?: Error } = {};
  /** What each `fail` and `resetStuck` was given to schedule the next attempt. */
  readonly schedules: (RetrySchedule | Backoff)[] = [];

  add(input: JsonValue, maxRetries = 3, userId: string = crypto.randomUUID()): string {
    const id = crypto.randomUUID();
    this.jobs.push({
      id,
      user_id: userId,
      status: "pending",
      input,
      retry_count: 0,
      max_retries: maxRetries,
      error_code: null,
      error_message: null,
      claim_token: null,
      run_after: null,
      plan: null,
    });
    return id;
  }

  job(id: string): StoredJob {
    const job = this.jobs.find((candidate) => candidate.id === id);
    if (job === undefined) throw new Error(`no job ${id}`);
    return job;
  }

  enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    this.calls.push("enqueue");
    const active = this.jobs.find((job) =>
      job.user_id === request.userId && (job.status === "pending" || job.status === "processing")
    );
    if (active && !request.regenerate) {
      return Promise.resolve({
        jobId: active.id,
        status: active.status,
        created: false,
        supersededJobId: null,
      });
    }
    if (active) active.status = "cancelled";
    const jobId = this.add(request.input, request.maxRetries, request.userId);
    return Promise.resolve({
      jobId,
      status: "pending",
      created: true,
      supersededJobId: active?.id ?? null,
    });
  }

  /** The job's backoff passes: it is due now. */
  endBackoff(id: string): void {
    this.job(id).run_after = null;
  }

  resetStuck(_stuckAfterMs: number, backoff: Backoff): Promise<number> {
    this.calls.push("reset_stuck");
    this.schedules.push(backoff);
    return Promise.resolve(this.stuck);
  }

  expireStale(): Promise<number> {
    this.calls.push("expire_stale");
    return Promise.resolve(this.stale);
  }

  claimNext(workerId: string): Promise<JobRow | null> {
    this.calls.push("claim");
    const failure = this.failures.claim;
    if (failure) {
      delete this.failures.claim;
      return Promise.reject(failure);
    }
    const now = Date.now();
    const job = this.jobs.find((candidate) =>
      candidate.status === "pending" &&
      (candidate.run_after === null || Date.parse(candidate.run_after) <= now)
    );
    if (job === undefined || workerId === "") return Promise.resolve(null);
    job.status = "processing";
    job.claim_token = crypto.randomUUID();
    job.run_after = null;
    return Promise.resolve(this.#row(job));
  }

  complete(jobId: string, claimToken: string, plan: JsonObject): Promise<JobRow> {
    this.calls.push(`complete ${jobId}`);
    const failure = this.failures.complete;
    if (failure) {
      delete this.failures.complete;
      return Promise.reject(failure);
    }
    const job = this.#held(jobId, claimToken, "complete_plan_job");
    job.status = "completed";
    job.plan = plan;
    job.claim_token = null;
    job.error_code = null;
    job.error_message = null;
    return Promise.resolve(this.#row(job));
  }

  fail(
    jobId: string,
    claimToken: string,
    code: AttemptErrorCode,
    message: string,
    retryable: boolean,
    retry: RetrySchedule,
  ): Promise<JobRow> {
    this.calls.push(`fail ${jobId} ${code} ${retryable}`);
    this.schedules.push(retry);
    const failure = this.failures.fail;
    if (failure) {
      delete this.failures.fail;
      return Promise.reject(failure);
    }
    const job = this.#held(jobId, claimToken, "fail_plan_job");
    job.retry_count += 1;
    const again = retryable && code !== "AI_QUOTA_EXCEEDED" && code !== "CONFIG_ERROR" &&
      job.retry_count < job.max_retries;
    job.status = again ? "pending" : "failed";
    const waitMs = Math.max(retry.baseMs, retry.retryAfterMs ?? 0);
    job.run_after = again ? new Date(Date.now() + waitMs).toISOString() : null;
    job.error_code = code;
    job.error_message = message;
    job.claim_token = null;
    return Promise.resolve(this.#row(job));
  }

  getJob(jobId: string): Promise<JobRow | null> {
    this.calls.push(`get ${jobId}`);
    const job = this.jobs.find((candidate) => candidate.id === jobId);
    return Promise.resolve(job ? this.#row(job) : null);
  }

  #held(jobId: string, claimToken: string, operation: string): StoredJob {
    const job = this.jobs.find((candidate) => candidate.id === jobId);
    if (job === undefined) throw new QueueError(operation, "PT404", "not found");
    if (job.status !== "processing" || job.claim_token !== claimToken) {
      throw new ClaimLost(operation, "PT409", `plan job ${jobId} is not held by this claim`);
    }
    return job;
  }

  #row(job: StoredJob): JobRow {
    const { plan: _plan, ...row } = job;
    return { ...row };
  }
}
