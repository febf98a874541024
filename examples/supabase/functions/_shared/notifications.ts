/**
 * The push notification for a job that finished: `/plan-preview?jobId=...` when it
 * completed, `/plan-building?jobId=...` when it failed for good (never the removed
 * `/generating-base-plan` screen).
 *
 * In the reference migrations a trigger already writes the `plan_notifications` row for
 * every finished job, whichever path finished it (docs/decisions.md S2), so the functions
 * do not insert it again: they build the payload a push sender needs and log it as the
 * `push` field of the job's `job.completed` or `job.failed` line.
 */

import type { JsonObject } from "./json.ts";

export interface PushPayload {
  readonly userId: string;
  readonly jobId: string;
  readonly kind: "plan_ready" | "plan_failed";
  readonly title: string;
  readonly body: string;
  readonly deepLink: string;
}

/** The payload for a job in its new state; null unless it is `completed` or `failed`. */
export function pushPayloadFor(
  job: { readonly id: string; readonly user_id: string; readonly status: string },
): PushPayload | null {
  const jobId = encodeURIComponent(job.id);
  if (job.status === "completed") {
    return {
      userId: job.user_id,
      jobId: job.id,
      kind: "plan_ready",
      title: "Your weekly plan is ready",
      body: "Tap to see your new training and nutrition plan.",
      deepLink: `/plan-preview?jobId=${jobId}`,
    };
  }
  if (job.status === "failed") {
    return {
      userId: job.user_id,
      jobId: job.id,
      kind: "plan_failed",
      title: "We could not build your plan",
      body: "Tap to see what happened and try again.",
      deepLink: `/plan-building?jobId=${jobId}`,
    };
  }
  return null;
}

/** The payload as a JSON object for a log line. */
export function pushPayloadJson(payload: PushPayload): JsonObject {
  return { ...payload };
}
