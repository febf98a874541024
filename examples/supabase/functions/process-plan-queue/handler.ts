/**
 * process-plan-queue: the worker, called by the service (pg_cron, create-plan-job's
 * wake-up call, an operator).
 *
 * POST /functions/v1/process-plan-queue   Authorization: Bearer <service role key>   {maxJobs?}
 *   200 {recovered: {stuck, stale}, processed: [{jobId, status, errorCode}]}
 *   400 INVALID_REQUEST (maxJobs not a whole number from 1 to 500, unknown fields)
 *   401 AUTH_REQUIRED   403 FORBIDDEN (a valid token without the service role)
 *
 * First the recovery pass (`reset_stuck_plan_jobs`, `expire_stale_pending_jobs`), then up
 * to `maxJobs` (default `WORKER_CONCURRENCY`) jobs are claimed, each only once an attempt
 * slot is free, and each gets one attempt that ends in `complete_plan_job` or
 * `fail_plan_job` with its claim token.
 */

import { checkServiceCaller, supabaseUserVerifier, type UserVerifier } from "../_shared/auth.ts";
import {
  type DeepSeekSettings,
  denoEnv,
  type EnvReader,
  loadDeepSeekSettings,
  loadPlatformSettings,
  loadQueueSettings,
  type QueueSettings,
  SettingsError,
} from "../_shared/config.ts";
import { functionHandler, type Handler } from "../_shared/handler.ts";
import {
  errorResponse,
  type FieldError,
  invalidRequest,
  jsonResponse,
  readJsonObject,
} from "../_shared/http.ts";
import { outcomeToJson, runInvocation, type WorkerContext } from "../_shared/invocation.ts";
import { isWholeNumber } from "../_shared/json.ts";
import type { JsonLogger } from "../_shared/log.ts";
import { supabaseQueue } from "../_shared/queue.ts";
import { Slots } from "../_shared/slots.ts";
import { authClient, serviceClient } from "../_shared/supabase.ts";

export const MAX_JOBS_LIMIT = 500;
const PROCESS_FIELDS: ReadonlySet<string> = new Set(["maxJobs"]);

/** This function instance's name in `claimed_by` and in the logs. */
export const WORKER_ID = `process-plan-queue:${crypto.randomUUID().slice(0, 8)}`;

export interface ProcessPlanQueueDeps extends WorkerContext {
  readonly keys: { readonly serviceRoleKey: string; readonly anonKey: string | null };
  readonly users: UserVerifier;
}

/** The function's work once its settings are read. */
export async function processPlanQueue(
  request: Request,
  deps: ProcessPlanQueueDeps,
): Promise<Response> {
  const caller = await checkServiceCaller(request, deps.keys, deps.users);
  if (caller.kind !== "service") {
    await request.body?.cancel();
    return caller.kind === "forbidden"
      ? errorResponse(403, "FORBIDDEN", caller.message)
      : errorResponse(401, "AUTH_REQUIRED", caller.message);
  }
  const read = await readJsonObject(request, {
    limitBytes: deps.queueSettings.maxBodyBytes,
    allowEmpty: true,
  });
  if (!read.ok) return read.response;
  const body = read.body;
  const errors: FieldError[] = Object.keys(body)
    .filter((name) => !PROCESS_FIELDS.has(name))
    .sort()
    .map((name) => ({ field: name, message: "is not a process-plan-queue field" }));
  const maxJobs = "maxJobs" in body ? body.maxJobs : deps.queueSettings.workerConcurrency;
  if (!isWholeNumber(maxJobs) || maxJobs < 1 || maxJobs > MAX_JOBS_LIMIT) {
    errors.push({
      field: "maxJobs",
      message: `must be a whole number from 1 to ${MAX_JOBS_LIMIT}`,
    });
  }
  if (errors.length > 0 || !isWholeNumber(maxJobs)) return invalidRequest(errors);

  const outcome = await runInvocation(deps, maxJobs);
  return jsonResponse(outcomeToJson(outcome));
}

const slotsBySize = new Map<number, Slots>();

/** The attempt slots of this instance: shared by all its invocations. */
function instanceSlots(size: number): Slots {
  let slots = slotsBySize.get(size);
  if (slots === undefined) {
    slots = new Slots(size);
    slotsBySize.set(size, slots);
  }
  return slots;
}

/** The function's settings and clients from the environment. */
export function loadProcessPlanQueueDeps(env: EnvReader, log: JsonLogger): ProcessPlanQueueDeps {
  const platform = loadPlatformSettings(env);
  const queueSettings: QueueSettings = loadQueueSettings(env, platform.supabaseUrl);
  let deepseek: DeepSeekSettings | SettingsError;
  try {
    deepseek = loadDeepSeekSettings(env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // Jobs still leave the queue: each claimed one fails with CONFIG_ERROR naming the variable.
    deepseek = error;
  }
  return {
    keys: { serviceRoleKey: platform.serviceRoleKey, anonKey: platform.anonKey },
    users: supabaseUserVerifier(authClient(platform)),
    queue: supabaseQueue(serviceClient(platform)),
    queueSettings,
    deepseek,
    workerId: WORKER_ID,
    slots: instanceSlots(queueSettings.workerConcurrency),
    log,
  };
}

/** `Deno.serve(handler)` in index.ts; tests call it or `processPlanQueue` with their own deps. */
export function processPlanQueueHandler(env: EnvReader = denoEnv): Handler {
  return functionHandler(
    { name: "process-plan-queue", load: loadProcessPlanQueueDeps, run: processPlanQueue },
    env,
  );
}

export const handler: Handler = processPlanQueueHandler();
