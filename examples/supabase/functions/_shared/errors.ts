/**
 * The error codes an attempt can end with (docs/contract.md), whether each may be retried,
 * and `PipelineError`, the one error an attempt raises.
 */

import { redact } from "./redaction.ts";

/** The codes `fail_plan_job` accepts from a worker. */
export const ATTEMPT_ERROR_CODES = [
  "AI_TIMEOUT",
  "AI_RATE_LIMIT",
  "AI_QUOTA_EXCEEDED",
  "AI_UPSTREAM_ERROR",
  "CONFIG_ERROR",
  "JSON_PARSE_ERROR",
  "VALIDATION_FAILED",
  "UNEXPECTED_ERROR",
] as const;

export type AttemptErrorCode = typeof ATTEMPT_ERROR_CODES[number];

const NOT_RETRYABLE: ReadonlySet<AttemptErrorCode> = new Set([
  "AI_QUOTA_EXCEEDED",
  "CONFIG_ERROR",
]);

/** Whether another attempt may follow a failure with this code (quota and config never heal). */
export function isRetryable(code: AttemptErrorCode): boolean {
  return !NOT_RETRYABLE.has(code);
}

/**
 * One failed attempt: the code stored on the job and a message naming the cause.
 *
 * The message passes through pattern redaction, so a bearer token, `sk-` key or JWT that
 * slipped into it never reaches the job row or a log; callers that know a literal secret
 * (the API key) remove it before building the message.
 */
export class PipelineError extends Error {
  override readonly name = "PipelineError";
  readonly code: AttemptErrorCode;
  /**
   * How long DeepSeek asked us to wait (the `Retry-After` of the 429 or 503 that ended the
   * attempt), passed to `fail_plan_job` so the next attempt is not scheduled sooner; null
   * when it asked nothing.
   */
  readonly retryAfterMs: number | null;

  constructor(code: AttemptErrorCode, message: string, retryAfterMs: number | null = null) {
    super(redact(message));
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  /** Passed to `fail_plan_job` as `p_retryable`. */
  get retryable(): boolean {
    return isRetryable(this.code);
  }
}
