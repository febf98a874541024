import assert from "node:assert/strict";
import type { UserVerifier } from "../_shared/auth.ts";
import { envFrom } from "../_shared/config.ts";
import type { JsonObject } from "../_shared/json.ts";
import { profileToJson } from "../_shared/profile.ts";
import { Slots } from "../_shared/slots.ts";
import { computeTargets, targetsToJson } from "../_shared/targets.ts";
import {
  processPlanQueue,
  type ProcessPlanQueueDeps,
  processPlanQueueHandler,
} from "../process-plan-queue/handler.ts";
import { deepseekSettings, profile, recordingLogger, validPlan } from "./fixtures.ts";
import { MemoryQueue } from "./memory_queue.ts";

const SERVICE_KEY = "service-role-key";
const ANON_KEY = "anon-key";
const USER_TOKEN = "user-token";
const PROFILE = profile();
const TARGETS = computeTargets(PROFILE);

const users: UserVerifier = {
  verify: (token) =>
    Promise.resolve(
      token === USER_TOKEN
        ? { kind: "user", userId: "u1" }
        : { kind: "refused", message: "the access token was refused" },
    ),
};

function setup(): { deps: ProcessPlanQueueDeps; queue: MemoryQueue } {
  const queue = new MemoryQueue();
  const deps: ProcessPlanQueueDeps = {
    keys: { serviceRoleKey: SERVICE_KEY, anonKey: ANON_KEY },
    users,
    queue,
    queueSettings: {
      maxRetries: 3,
      stuckAfterMs: 600_000,
      stalePendingAfterMs: 1_800_000,
      regenerationCooldownMs: 0,
      retryBaseMs: 10_000,
      retryCapMs: 600_000,
      workerConcurrency: 2,
      processQueueUrl: null,
      maxBodyBytes: 65536,
    },
    deepseek: deepseekSettings("http://127.0.0.1:9"),
    workerId: "test-worker",
    slots: new Slots(2),
    log: recordingLogger().log,
    attempt: () => Promise.resolve({ plan: validPlan(PROFILE, TARGETS), fixes: [] }),
  };
  return { deps, queue };
}

function post(body: string, token: string | null = SERVICE_KEY): Request {
  return new Request("http://functions.test/process-plan-queue", {
    method: "POST",
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    body,
  });
}

async function answer(response: Response): Promise<[number, JsonObject]> {
  return [response.status, await response.json()];
}

Deno.test("the service key processes up to WORKER_CONCURRENCY jobs by default", async () => {
  const { deps, queue } = setup();
  const ids = [1, 2, 3].map(() =>
    queue.add({ profile: profileToJson(PROFILE), targets: targetsToJson(TARGETS) })
  );
  const [status, body] = await answer(await processPlanQueue(post(""), deps));
  assert.equal(status, 200);
  assert.deepEqual(body, {
    recovered: { stuck: 0, stale: 0 },
    processed: ids.slice(0, 2).map((jobId) => ({ jobId, status: "completed", errorCode: null })),
  });
  const [, next] = await answer(await processPlanQueue(post('{"maxJobs": 5}'), deps));
  assert.deepEqual(next.processed, [{ jobId: ids[2], status: "completed", errorCode: null }]);
});

Deno.test("401 without a valid token, 403 for the anon key or a user's token; nothing is claimed", async () => {
  const cases: Array<[string | null, number, string]> = [
    [null, 401, "AUTH_REQUIRED"],
    ["garbage", 401, "AUTH_REQUIRED"],
    [ANON_KEY, 403, "FORBIDDEN"],
    [USER_TOKEN, 403, "FORBIDDEN"],
  ];
  for (const [token, expected, code] of cases) {
    const { deps, queue } = setup();
    const [status, body] = await answer(await processPlanQueue(post("{}", token), deps));
    assert.deepEqual([status, body.error_code], [expected, code], String(token));
    assert.equal(queue.calls.length, 0);
  }
});

Deno.test("maxJobs must be a whole number from 1 to 500; unknown fields are refused", async () => {
  for (
    const body of [
      '{"maxJobs": 0}',
      '{"maxJobs": 501}',
      '{"maxJobs": 1.5}',
      '{"maxJobs": "2"}',
      '{"maxJobs": true}',
    ]
  ) {
    const { deps, queue } = setup();
    const [status, answered] = await answer(await processPlanQueue(post(body), deps));
    assert.equal(status, 400, body);
    assert.match(JSON.stringify(answered.details), /maxJobs/);
    assert.equal(queue.calls.length, 0);
  }
  const { deps } = setup();
  const [status, answered] = await answer(await processPlanQueue(post('{"limit": 3}'), deps));
  assert.equal(status, 400);
  assert.deepEqual(answered.details, [{
    field: "limit",
    message: "is not a process-plan-queue field",
  }]);
});

Deno.test("the handler answers 500 CONFIG_ERROR when the platform settings are missing", async () => {
  const handler = processPlanQueueHandler(envFrom({ SUPABASE_URL: "http://127.0.0.1:9" }));
  const [status, body] = await answer(await handler(post("{}")));
  assert.equal(status, 500);
  assert.equal(body.error_code, "CONFIG_ERROR");
  assert.match(String(body.error), /SUPABASE_SERVICE_ROLE_KEY is required/);
});
