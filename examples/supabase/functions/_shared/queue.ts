/**
 * The queue's SQL functions (docs/contract.md) called through supabase-js `.rpc()` as the
 * service role, with their rows checked at runtime and their refusals as typed errors:
 * PT409 (the claim token is not the job's current one) is `ClaimLost`, PT429 from
 * `enqueue_plan_job` is `RegenerationTooSoon`.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import type { AttemptErrorCode } from "./errors.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/** A `plan_generation_jobs` row, as far as the functions read it. */
export interface JobRow {
  readonly id: string;
  readonly user_id: string;
  readonly status: string;
  readonly input: JsonValue;
  readonly retry_count: number;
  readonly max_retries: number;
  readonly error_code: string | null;
  readonly error_message: string | null;
  readonly claim_token: string | null;
  /** When the next attempt may start (a job requeued into its backoff); null when due. */
  readonly run_after: string | null;
}

/** The wait before a retry (docs/contract.md, backoff), as the queue's settings give it. */
export interface Backoff {
  readonly baseMs: number;
  readonly capMs: number;
}

/** How `fail_plan_job` schedules the next attempt: the backoff, and DeepSeek's asked wait. */
export interface RetrySchedule extends Backoff {
  /** The `Retry-After` of the answer that ended the attempt; a longer one wins. */
  readonly retryAfterMs: number | null;
}

/** What `enqueue_plan_job` decided. */
export interface EnqueueResult {
  readonly jobId: string;
  readonly status: string;
  readonly created: boolean;
  readonly supersededJobId: string | null;
}

export interface EnqueueRequest {
  readonly userId: string;
  readonly input: JsonObject;
  readonly regenerate: boolean;
  readonly maxRetries: number;
  readonly cooldownMs: number;
}

/** The queue as the functions use it; `supabaseQueue` is the real one, tests bring fakes. */
export interface PlanQueue {
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  resetStuck(stuckAfterMs: number, backoff: Backoff): Promise<number>;
  expireStale(olderThanMs: number): Promise<number>;
  claimNext(workerId: string): Promise<JobRow | null>;
  complete(jobId: string, claimToken: string, plan: JsonObject): Promise<JobRow>;
  fail(
    jobId: string,
    claimToken: string,
    code: AttemptErrorCode,
    message: string,
    retryable: boolean,
    retry: RetrySchedule,
  ): Promise<JobRow>;
  getJob(jobId: string): Promise<JobRow | null>;
}

/** A queue call failed; `code` is PostgREST's (a SQLSTATE such as `PT409`, or `PGRST...`). */
export class QueueError extends Error {
  override readonly name: string = "QueueError";
  readonly code: string | null;

  constructor(operation: string, code: string | null, message: string) {
    super(`${operation} failed${code ? ` (${code})` : ""}: ${message}`);
    this.code = code;
  }
}

/** PT409: the attempt was recovered, cancelled or already finished; drop its result. */
export class ClaimLost extends QueueError {
  override readonly name = "ClaimLost";
}

/** PT429 from `enqueue_plan_job`: a new plan is allowed from `nextAllowedAt`. */
export class RegenerationTooSoon extends QueueError {
  override readonly name = "RegenerationTooSoon";
  readonly nextAllowedAt: string | null;

  constructor(message: string, nextAllowedAt: string | null) {
    super("enqueue_plan_job", "PT429", message);
    this.nextAllowedAt = nextAllowedAt;
  }
}

/** A PostgreSQL interval literal for a number of milliseconds. */
export function interval(ms: number): string {
  return `${ms} milliseconds`;
}

interface PostgrestFailure {
  readonly code?: string;
  readonly message?: string;
  readonly details?: string | null;
}

/** The queue through supabase-js as the service role. */
export function supabaseQueue(client: SupabaseClient): PlanQueue {
  async function call(name: string, args: Record<string, JsonValue>): Promise<unknown> {
    const { data, error } = await client.rpc(name, args);
    if (error) throw refusal(name, error);
    return data;
  }

  return {
    async enqueue(request) {
      const rows = await call("enqueue_plan_job", {
        p_user_id: request.userId,
        p_input: request.input,
        p_regenerate: request.regenerate,
        p_max_retries: request.maxRetries,
        p_cooldown: interval(request.cooldownMs),
      });
      const row = onlyRow("enqueue_plan_job", rows);
      const { job_id, status, created, superseded_job_id } = row;
      if (
        typeof job_id !== "string" || typeof status !== "string" || typeof created !== "boolean"
      ) {
        throw new QueueError(
          "enqueue_plan_job",
          null,
          "returned a row without job_id, status, created",
        );
      }
      return {
        jobId: job_id,
        status,
        created,
        supersededJobId: typeof superseded_job_id === "string" ? superseded_job_id : null,
      };
    },
    async resetStuck(stuckAfterMs, backoff) {
      return count(
        "reset_stuck_plan_jobs",
        await call("reset_stuck_plan_jobs", {
          p_stuck_after: interval(stuckAfterMs),
          p_retry_base: interval(backoff.baseMs),
          p_retry_cap: interval(backoff.capMs),
        }),
      );
    },
    async expireStale(olderThanMs) {
      return count(
        "expire_stale_pending_jobs",
        await call("expire_stale_pending_jobs", { p_older_than: interval(olderThanMs) }),
      );
    },
    async claimNext(workerId) {
      const rows = await call("claim_next_plan_job", { p_worker_id: workerId });
      if (!Array.isArray(rows) || rows.length === 0) return null;
      return jobRow("claim_next_plan_job", rows[0]);
    },
    async complete(jobId, claimToken, plan) {
      const row = await call("complete_plan_job", {
        p_job_id: jobId,
        p_claim_token: claimToken,
        p_plan: plan,
      });
      return jobRow("complete_plan_job", row);
    },
    async fail(jobId, claimToken, code, message, retryable, retry) {
      const row = await call("fail_plan_job", {
        p_job_id: jobId,
        p_claim_token: claimToken,
        p_error_code: code,
        p_error_message: message,
        p_retryable: retryable,
        p_retry_after: retry.retryAfterMs === null
          ? null
          : interval(Math.round(retry.retryAfterMs)),
        p_retry_base: interval(retry.baseMs),
        p_retry_cap: interval(retry.capMs),
      });
      return jobRow("fail_plan_job", row);
    },
    async getJob(jobId) {
      const { data, error } = await client.from("plan_generation_jobs").select("*").eq("id", jobId)
        .maybeSingle();
      if (error) throw refusal("select plan_generation_jobs", error);
      return data === null ? null : jobRow("select plan_generation_jobs", data);
    },
  };
}

function refusal(operation: string, error: PostgrestFailure): QueueError {
  const code = error.code ?? null;
  const message = error.message ?? "no message";
  if (code === "PT409") return new ClaimLost(operation, code, message);
  if (code === "PT429") {
    let nextAllowedAt: string | null = null;
    try {
      const detail: unknown = JSON.parse(error.details ?? "{}");
      if (isJsonObject(detail) && typeof detail.nextAllowedAt === "string") {
        nextAllowedAt = detail.nextAllowedAt;
      }
    } catch {
      // no JSON detail: the refusal still stands, without a time
    }
    return new RegenerationTooSoon(message, nextAllowedAt);
  }
  return new QueueError(operation, code, message);
}

function onlyRow(operation: string, data: unknown): JsonObject {
  const row = Array.isArray(data) ? data[0] : data;
  if (!isJsonObject(row)) throw new QueueError(operation, null, "returned no row");
  return row;
}

function count(operation: string, data: unknown): number {
  if (typeof data !== "number" || !Number.isInteger(data)) {
    throw new QueueError(operation, null, `returned ${JSON.stringify(data)}, not a count`);
  }
  return data;
}

/** Check an untyped row from PostgREST; a missing or mistyped field is a `QueueError`. */
export function jobRow(operation: string, data: unknown): JobRow {
  if (!isJsonObject(data)) throw new QueueError(operation, null, "returned no job row");
  const {
    id,
    user_id,
    status,
    input,
    retry_count,
    max_retries,
    error_code,
    error_message,
    claim_token,
    run_after,
  } = data;
  const text = (value: JsonValue | undefined): value is string => typeof value === "string";
  const textOrNull = (value: JsonValue | undefined): value is string | null =>
    value === null || typeof value === "string";
  if (
    !text(id) || !text(user_id) || !text(status) || input === undefined ||
    typeof retry_count !== "number" || typeof max_retries !== "number" ||
    !textOrNull(error_code) || !textOrNull(error_message) || !textOrNull(claim_token ?? null) ||
    !textOrNull(run_after ?? null)
  ) {
    throw new QueueError(operation, null, "returned a row that is not a plan_generation_jobs row");
  }
  return {
    id,
    user_id,
    status,
    input,
    retry_count,
    max_retries,
    error_code,
    error_message,
    claim_token: typeof claim_token === "string" ? claim_token : null,
    run_after: typeof run_after === "string" ? run_after : null,
  };
}
