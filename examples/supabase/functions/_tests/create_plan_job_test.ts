import assert from "node:assert/strict";
import type { UserVerifier } from "../_shared/auth.ts";
import { envFrom } from "../_shared/config.ts";
import type { JsonObject } from "../_shared/json.ts";
import { RegenerationTooSoon } from "../_shared/queue.ts";
import { computeTargets } from "../_shared/targets.ts";
import {
  createPlanJob,
  type CreatePlanJobDeps,
  createPlanJobHandler,
} from "../create-plan-job/handler.ts";
import { profile, profileJson, recordingLogger } from "./fixtures.ts";
import { MemoryQueue } from "./memory_queue.ts";

const USER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const TOKEN = "user-access-token";

const users: UserVerifier = {
  verify: (token) =>
    Promise.resolve(
      token === TOKEN
        ? { kind: "user", userId: USER_ID }
        : { kind: "refused", message: "the access token was refused: invalid JWT" },
    ),
};

function setup(queue = new MemoryQueue()) {
  const woken: string[] = [];
  const recorded = recordingLogger();
  const deps: CreatePlanJobDeps = {
    queueSettings: {
      maxRetries: 3,
      stuckAfterMs: 600_000,
      stalePendingAfterMs: 1_800_000,
      regenerationCooldownMs: 14 * 86_400_000,
      retryBaseMs: 10_000,
      retryCapMs: 600_000,
      workerConcurrency: 10,
      processQueueUrl: null,
      maxBodyBytes: 65536,
    },
    users,
    queue,
    wakeQueue: (jobId) => woken.push(jobId),
    log: recorded.log,
  };
  return { deps, queue, woken, lines: recorded.lines };
}

function post(
  body: unknown,
  token: string | null = TOKEN,
  headers: Record<string, string> = {},
): Request {
  return new Request("http://functions.test/create-plan-job", {
    method: "POST",
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function answer(response: Response): Promise<[number, JsonObject]> {
  return [response.status, await response.json()];
}

Deno.test("202 with the new job; the input snapshots the profile and the targets; the queue is woken", async () => {
  const { deps, queue, woken, lines } = setup();
  const [status, body] = await answer(await createPlanJob(post({ profile: profileJson() }), deps));
  assert.equal(status, 202);
  assert.deepEqual(body, { jobId: queue.jobs[0]?.id, status: "pending", created: true });
  assert.deepEqual(queue.jobs[0]?.input, {
    profile: profileJson(),
    targets: computeTargets(profile()),
  });
  assert.equal(queue.jobs[0]?.max_retries, 3);
  assert.deepEqual(woken, [body.jobId]);
  const created = lines.find((line) => line.event === "job.created");
  assert.deepEqual([created?.jobId, created?.status, created?.retry_count, created?.error_code], [
    body.jobId,
    "pending",
    0,
    null,
  ]);
});

Deno.test("asking again returns the active job, without a second one or a wake-up", async () => {
  const { deps, queue, woken } = setup();
  const first = await answer(await createPlanJob(post({ profile: profileJson() }), deps));
  const second = await answer(await createPlanJob(post({ profile: profileJson() }), deps));
  assert.deepEqual(second, [202, { jobId: first[1].jobId, status: "pending", created: false }]);
  assert.equal(queue.jobs.length, 1);
  assert.equal(woken.length, 1);
});

Deno.test("regenerating supersedes the active job and says which", async () => {
  const { deps, lines } = setup();
  const [, first] = await answer(await createPlanJob(post({ profile: profileJson() }), deps));
  const [status, second] = await answer(
    await createPlanJob(post({ profile: profileJson(), regenerate: true }), deps),
  );
  assert.equal(status, 202);
  assert.equal(second.supersededJobId, first.jobId);
  const superseded = lines.find((line) => line.event === "job.superseded");
  assert.deepEqual([superseded?.jobId, superseded?.error_code], [first.jobId, "SUPERSEDED"]);
});

Deno.test("401 AUTH_REQUIRED without a token or with a refused one; nothing is written", async () => {
  for (const token of [null, "forged"]) {
    const { deps, queue } = setup();
    const [status, body] = await answer(
      await createPlanJob(post({ profile: profileJson() }, token), deps),
    );
    assert.equal(status, 401);
    assert.equal(body.error_code, "AUTH_REQUIRED");
    assert.ok(typeof body.error === "string" && body.error.length > 0);
    assert.equal(queue.calls.length, 0);
  }
});

Deno.test("400 INVALID_REQUEST names every bad field; nothing is written", async () => {
  const cases: Array<[unknown, string[]]> = [
    [{ profile: profileJson({ mealCount: 7, age: "x" }) }, ["profile.age", "profile.mealCount"]],
    [{ profile: profileJson(), regenerate: "yes" }, ["regenerate"]],
    [{ profile: profileJson(), regenerate: null }, ["regenerate"]],
    [{ profile: {}, extra: 1 }, ["extra", "profile.age"]],
    [{}, ["profile"]],
    ["[1, 2]", ["body"]],
    ["{not json", ["body"]],
    ["", ["body"]],
  ];
  for (const [body, expected] of cases) {
    const { deps, queue } = setup();
    const [status, answered] = await answer(await createPlanJob(post(body), deps));
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(answered.error_code, "INVALID_REQUEST");
    const fields = (answered.details as Array<{ field: string }>).map((detail) => detail.field);
    for (const field of expected) assert.ok(fields.includes(field), `${field} not in ${fields}`);
    assert.equal(queue.calls.length, 0);
  }
});

Deno.test("413 PAYLOAD_TOO_LARGE over 64 KiB, by Content-Length or by the bytes read", async () => {
  const big = JSON.stringify({
    profile: profileJson({ supplements: Array(2000).fill("x".repeat(60)) }),
  });
  const { deps, queue } = setup();
  const [status, body] = await answer(await createPlanJob(post(big), deps));
  assert.equal(status, 413);
  assert.equal(body.error_code, "PAYLOAD_TOO_LARGE");

  const streamed = new Request("http://functions.test/create-plan-job", {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}` },
    body: new Blob([big]).stream(),
  });
  assert.equal((await createPlanJob(streamed, deps)).status, 413);
  assert.equal(queue.calls.length, 0);
});

Deno.test("429 REGENERATION_TOO_SOON carries nextAllowedAt", async () => {
  const { deps } = setup();
  deps.queue.enqueue = () =>
    Promise.reject(new RegenerationTooSoon("too soon", "2026-12-14T10:00:00+00:00"));
  const [status, body] = await answer(
    await createPlanJob(post({ profile: profileJson(), regenerate: true }), deps),
  );
  assert.equal(status, 429);
  assert.equal(body.error_code, "REGENERATION_TOO_SOON");
  assert.equal(body.nextAllowedAt, "2026-12-14T10:00:00+00:00");
  assert.match(String(body.error), /2026-12-14/);
});

Deno.test("the handler: 405 for GET, 500 CONFIG_ERROR naming a missing variable, never a crash", async () => {
  const handler = createPlanJobHandler(envFrom({}));
  const get = await handler(new Request("http://functions.test/create-plan-job"));
  assert.equal(get.status, 405);
  await get.body?.cancel();
  const [status, body] = await answer(await handler(post({ profile: profileJson() })));
  assert.equal(status, 500);
  assert.equal(body.error_code, "CONFIG_ERROR");
  assert.match(String(body.error), /SUPABASE_URL is required/);
});
