/**
 * create-plan-job's wake-up call: after creating a job it asks process-plan-queue to run
 * (`PROCESS_PLAN_QUEUE_URL`, by default `SUPABASE_URL/functions/v1/process-plan-queue`), so
 * a job starts within seconds instead of at the next scheduled run. The call runs in the
 * background (kept alive with `EdgeRuntime.waitUntil` on Supabase) and its failure never
 * changes the 202 answer: the scheduled run (pg_cron) picks the job up anyway.
 */

import type { JsonLogger } from "./log.ts";

/** Starts process-plan-queue for a new job, in the background. */
export type QueueWaker = (jobId: string) => void;

interface EdgeRuntimeGlobal {
  readonly EdgeRuntime?: { readonly waitUntil?: (promise: Promise<unknown>) => void };
}

/** The waker for `url`, or one that does nothing when `url` is null (switched off). */
export function queueWaker(
  url: string | null,
  serviceRoleKey: string,
  log: JsonLogger,
): QueueWaker {
  if (url === null) return () => {};
  return (jobId) => {
    const wake = fetch(url, {
      method: "POST",
      headers: {
        "Authorization": `Bearer ${serviceRoleKey}`,
        "apikey": serviceRoleKey,
        "Content-Type": "application/json",
      },
      body: "{}",
    }).then(async (response) => {
      await response.body?.cancel();
      if (!response.ok) {
        log.warn("process-plan-queue answered the wake-up call with an error", {
          event: "queue.wake_failed",
          jobId,
          status: response.status,
        });
      }
    }).catch((error: unknown) => {
      log.warn("could not wake process-plan-queue; the scheduled run will pick the job up", {
        event: "queue.wake_failed",
        jobId,
        exception: error instanceof Error ? error.message : String(error),
      });
    });
    (globalThis as EdgeRuntimeGlobal).EdgeRuntime?.waitUntil?.(wake);
  };
}
