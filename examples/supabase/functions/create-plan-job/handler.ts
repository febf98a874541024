/**
 * create-plan-job: a signed-in user asks for a weekly plan.
 *
 * POST /functions/v1/create-plan-job   Authorization: Bearer <user JWT>   {profile, regenerate?}
 *   202 {jobId, status, created, supersededJobId?}  the new job, or the user's active one
 *   400 INVALID_REQUEST {details: [{field, message}]}  every bad field, unknown ones included
 *   401 AUTH_REQUIRED   413 PAYLOAD_TOO_LARGE (over 64 KiB)
 *   429 REGENERATION_TOO_SOON {nextAllowedAt}  within the cooldown after the last plan
 *
 * The targets are computed here once and snapshotted in the job input
 * (`{profile, targets}`, docs/decisions.md D1); `enqueue_plan_job` applies the idempotency,
 * cooldown and supersede rules in one transaction. A new job wakes process-plan-queue.
 */

import { bearerToken, supabaseUserVerifier, type UserVerifier } from "../_shared/auth.ts";
import {
  denoEnv,
  type EnvReader,
  loadPlatformSettings,
  loadQueueSettings,
  type QueueSettings,
} from "../_shared/config.ts";
import { functionHandler, type Handler } from "../_shared/handler.ts";
import {
  errorResponse,
  type FieldError,
  invalidRequest,
  jsonResponse,
  readJsonObject,
} from "../_shared/http.ts";
import type { JsonObject } from "../_shared/json.ts";
import type { JsonLogger } from "../_shared/log.ts";
import { parseProfile, profileToJson } from "../_shared/profile.ts";
import {
  type EnqueueResult,
  type PlanQueue,
  QueueError,
  RegenerationTooSoon,
  supabaseQueue,
} from "../_shared/queue.ts";
import { authClient, serviceClient } from "../_shared/supabase.ts";
import { computeTargets, targetsToJson } from "../_shared/targets.ts";
import { type QueueWaker, queueWaker } from "../_shared/wake.ts";

const CREATE_FIELDS: ReadonlySet<string> = new Set(["profile", "regenerate"]);
/** PostgreSQL's foreign-key violation: the token's user was deleted meanwhile. */
const FOREIGN_KEY_VIOLATION = "23503";

export interface CreatePlanJobDeps {
  readonly queueSettings: QueueSettings;
  readonly users: UserVerifier;
  readonly queue: Pick<PlanQueue, "enqueue">;
  readonly wakeQueue: QueueWaker;
  readonly log: JsonLogger;
}

/** The function's work once its settings are read. */
export async function createPlanJob(request: Request, deps: CreatePlanJobDeps): Promise<Response> {
  const token = bearerToken(request);
  if (token === null) {
    await request.body?.cancel();
    return errorResponse(401, "AUTH_REQUIRED", "missing Authorization: Bearer <access token>");
  }
  const caller = await deps.users.verify(token);
  if (caller.kind === "refused") {
    await request.body?.cancel();
    return errorResponse(401, "AUTH_REQUIRED", caller.message);
  }

  const read = await readJsonObject(request, {
    limitBytes: deps.queueSettings.maxBodyBytes,
    allowEmpty: false,
  });
  if (!read.ok) return read.response;
  const body = read.body;

  const errors: FieldError[] = Object.keys(body)
    .filter((name) => !CREATE_FIELDS.has(name))
    .sort()
    .map((name) => ({ field: name, message: "is not a create-plan-job field" }));
  const regenerate = "regenerate" in body ? body.regenerate : false;
  if (typeof regenerate !== "boolean") {
    errors.push({ field: "regenerate", message: "must be true or false" });
  }
  const profile = "profile" in body ? parseProfile(body.profile, "profile") : null;
  if (profile === null) errors.push({ field: "profile", message: "is required" });
  else if (!profile.ok) errors.push(...profile.errors);
  if (errors.length > 0 || profile === null || !profile.ok || typeof regenerate !== "boolean") {
    return invalidRequest(errors);
  }

  const targets = computeTargets(profile.profile);
  const input: JsonObject = {
    profile: profileToJson(profile.profile),
    targets: targetsToJson(targets),
  };
  let result: EnqueueResult;
  try {
    result = await deps.queue.enqueue({
      userId: caller.userId,
      input,
      regenerate,
      maxRetries: deps.queueSettings.maxRetries,
      cooldownMs: deps.queueSettings.regenerationCooldownMs,
    });
  } catch (error) {
    if (error instanceof RegenerationTooSoon) {
      return errorResponse(
        429,
        "REGENERATION_TOO_SOON",
        `a new plan can be generated from ${error.nextAllowedAt ?? "later"}`,
        { nextAllowedAt: error.nextAllowedAt },
      );
    }
    if (error instanceof QueueError && error.code === FOREIGN_KEY_VIOLATION) {
      return errorResponse(401, "AUTH_REQUIRED", "the signed-in user no longer exists");
    }
    throw error;
  }

  if (result.supersededJobId !== null) {
    deps.log.transition(
      "job.superseded",
      {
        id: result.supersededJobId,
        status: "cancelled",
        retry_count: null,
        error_code: "SUPERSEDED",
      },
      { by_job: result.jobId },
    );
  }
  if (result.created) {
    deps.log.transition(
      "job.created",
      { id: result.jobId, status: result.status, retry_count: 0, error_code: null },
      { userId: caller.userId, regenerate },
    );
    deps.wakeQueue(result.jobId);
  }
  const response: JsonObject = {
    jobId: result.jobId,
    status: result.status,
    created: result.created,
  };
  if (result.supersededJobId !== null) response.supersededJobId = result.supersededJobId;
  return jsonResponse(response, 202);
}

/** The function's settings and clients from the environment. */
export function loadCreatePlanJobDeps(env: EnvReader, log: JsonLogger): CreatePlanJobDeps {
  const platform = loadPlatformSettings(env);
  const queueSettings = loadQueueSettings(env, platform.supabaseUrl);
  return {
    queueSettings,
    users: supabaseUserVerifier(authClient(platform)),
    queue: supabaseQueue(serviceClient(platform)),
    wakeQueue: queueWaker(queueSettings.processQueueUrl, platform.serviceRoleKey, log),
    log,
  };
}

/** `Deno.serve(handler)` in index.ts; tests call it or `createPlanJob` with their own deps. */
export function createPlanJobHandler(env: EnvReader = denoEnv): Handler {
  return functionHandler({
    name: "create-plan-job",
    load: loadCreatePlanJobDeps,
    run: createPlanJob,
  }, env);
}

export const handler: Handler = createPlanJobHandler();
