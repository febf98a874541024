/**
 * One attempt of weekly-plan generation for a claimed job, with no database:
 * Stage 1 (draft) -> Stage 2 (review) -> JSON extraction -> planFixer -> validateWeeklyPlan,
 * all under the attempt's deadline (`INTERNAL_TIMEOUT_MS`).
 *
 * Every failure leaves as a `PipelineError` with its code; anything unforeseen becomes
 * `UNEXPECTED_ERROR` with a message saying what it was. The caller saves the plan with
 * `complete_plan_job` or reports the error with `fail_plan_job`.
 */

import type { DeepSeekSettings } from "./config.ts";
import { abortCause, AttemptDeadline } from "./deadline.ts";
import { type ChatCompletion, DeepSeekClient } from "./deepseek.ts";
import { PipelineError } from "./errors.ts";
import { fixPlan } from "./fixer.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { extractJsonObject } from "./json_extract.ts";
import type { JsonLogger } from "./log.ts";
import { parseProfile, type Profile } from "./profile.ts";
import { stage1Messages, stage2Messages } from "./prompts.ts";
import { redact } from "./redaction.ts";
import { parseTargets, type Targets } from "./targets.ts";
import { describeViolation, validateWeeklyPlan, type Violation } from "./validator.ts";

const VIOLATIONS_IN_MESSAGE = 5;

/** The job fields an attempt reads. */
export interface AttemptJob {
  readonly id: string;
  readonly user_id: string;
  readonly input: JsonValue;
}

/** A plan that passed validation, and what producing it took. */
export interface AttemptResult {
  readonly plan: JsonObject;
  /** HTTP requests behind the two chat calls, in-call 429/503 repeats included. */
  readonly httpRequests: number;
  /** What the planFixer changed. */
  readonly fixes: readonly string[];
  readonly durationMs: number;
}

/** Run one attempt; throws `PipelineError` on every failure. */
export async function runAttempt(
  job: AttemptJob,
  settings: DeepSeekSettings,
  log: JsonLogger,
): Promise<AttemptResult> {
  const { profile, targets } = readJobInput(job.input);
  const deadline = new AttemptDeadline(settings.attemptTimeoutMs);
  const deepseek = new DeepSeekClient(settings, log);
  try {
    return await generate(job, profile, targets, deepseek, deadline, log);
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    if (abortCause(deadline.signal) === "attempt_deadline") {
      throw new PipelineError(
        "AI_TIMEOUT",
        `attempt aborted after ${deadline.elapsedMs()} ms: attempt deadline ` +
          `INTERNAL_TIMEOUT_MS=${settings.attemptTimeoutMs} ms reached`,
      );
    }
    throw unexpected(job.id, error, settings, log);
  } finally {
    deepseek.close();
    deadline.dispose();
  }
}

async function generate(
  job: AttemptJob,
  profile: Profile,
  targets: Targets,
  deepseek: DeepSeekClient,
  deadline: AttemptDeadline,
  log: JsonLogger,
): Promise<AttemptResult> {
  const draftCall = await deepseek.chat(stage1Messages(job.user_id, profile, targets), 1, deadline);
  const draft = planJson(draftCall, 1);
  log.info("stage 1 draft received", { jobId: job.id, elapsed_ms: deadline.elapsedMs() });

  const reviewCall = await deepseek.chat(
    stage2Messages(job.user_id, profile, targets, draft),
    2,
    deadline,
  );
  const reviewed = planJson(reviewCall, 2);
  log.info("stage 2 plan received", { jobId: job.id, elapsed_ms: deadline.elapsedMs() });

  const fixed = fixPlan(reviewed, profile, targets);
  const violations = validateWeeklyPlan(fixed.plan, profile, targets);
  if (violations.length > 0) throw new PipelineError("VALIDATION_FAILED", summarize(violations));
  return {
    plan: fixed.plan,
    httpRequests: draftCall.requests + reviewCall.requests,
    fixes: fixed.changes,
    durationMs: deadline.elapsedMs(),
  };
}

/** The profile and targets of a job input (docs/decisions.md D1); `UNEXPECTED_ERROR` if malformed. */
export function readJobInput(input: JsonValue): { profile: Profile; targets: Targets } {
  if (!isJsonObject(input)) {
    throw new PipelineError(
      "UNEXPECTED_ERROR",
      "job input must be a JSON object with profile and targets",
    );
  }
  const profile = parseProfile(input.profile, "input.profile");
  if (!profile.ok) {
    const listed = profile.errors.map((error) => `${error.field}: ${error.message}`).join("; ");
    throw new PipelineError("UNEXPECTED_ERROR", `job input is invalid: ${listed}`);
  }
  const targets = parseTargets(input.targets);
  if (targets === null) {
    throw new PipelineError(
      "UNEXPECTED_ERROR",
      "job input is invalid: input.targets must be {total_kcal, protein_g} with positive whole numbers",
    );
  }
  return { profile: profile.profile, targets };
}

function planJson(completion: ChatCompletion, stage: 1 | 2): JsonObject {
  try {
    return extractJsonObject(completion.content, completion.finishReason);
  } catch (error) {
    if (error instanceof PipelineError) {
      throw new PipelineError(error.code, `stage ${stage}: ${error.message}`, error.retryAfterMs);
    }
    throw error;
  }
}

function summarize(violations: readonly Violation[]): string {
  const shown = violations.slice(0, VIOLATIONS_IN_MESSAGE).map(describeViolation).join("; ");
  const more = violations.length - VIOLATIONS_IN_MESSAGE;
  return `plan breaks ${violations.length} rule(s) after the fixer: ${shown}${
    more > 0 ? `; and ${more} more` : ""
  }`;
}

function unexpected(
  jobId: string,
  error: unknown,
  settings: DeepSeekSettings,
  log: JsonLogger,
): PipelineError {
  const secrets = [settings.apiKey];
  const name = error instanceof Error ? error.name : typeof error;
  const detail = redact(error instanceof Error ? error.message : String(error), secrets) ||
    "no detail";
  const stack = error instanceof Error && error.stack ? redact(error.stack, secrets) : undefined;
  log.error("unexpected error in a plan attempt", { jobId, exception: stack ?? detail });
  return new PipelineError("UNEXPECTED_ERROR", `unexpected ${name}: ${detail}`);
}
