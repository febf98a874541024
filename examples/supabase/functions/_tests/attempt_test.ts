import assert from "node:assert/strict";
import { readJobInput, runAttempt } from "../_shared/attempt.ts";
import { PipelineError } from "../_shared/errors.ts";
import { copyJson, type JsonObject } from "../_shared/json.ts";
import { profileToJson } from "../_shared/profile.ts";
import { computeTargets, targetsToJson } from "../_shared/targets.ts";
import {
  completion,
  deepseekSettings,
  keepAliveStall,
  profile,
  recordingLogger,
  startStub,
  type Stub,
  validPlan,
} from "./fixtures.ts";

const PROFILE = profile();
const TARGETS = computeTargets(PROFILE);
const JOB = {
  id: "11111111-2222-3333-4444-555555555555",
  user_id: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  input: { profile: profileToJson(PROFILE), targets: targetsToJson(TARGETS) },
};

async function attempt(
  answer: (stage: number, body: JsonObject) => Response,
  overrides: Parameters<typeof deepseekSettings>[1] = {},
): Promise<
  { result: Awaited<ReturnType<typeof runAttempt>> | PipelineError; stub: Stub; stages: number[] }
> {
  const stages: number[] = [];
  const stub = startStub(async (request) => {
    const body = await request.json() as JsonObject;
    const system = String((body.messages as JsonObject[])[0]?.content);
    const stage = Number(/Stage (\d) of 2/.exec(system)?.[1]);
    stages.push(stage);
    return answer(stage, body);
  });
  try {
    const result = await runAttempt(
      JOB,
      deepseekSettings(stub.url, overrides),
      recordingLogger().log,
    )
      .catch((error: unknown) => {
        if (error instanceof PipelineError) return error;
        throw error;
      });
    return { result, stub, stages };
  } finally {
    await stub.close();
  }
}

const plan = (): JsonObject => copyJson(validPlan(PROFILE, TARGETS));

Deno.test("two stages, the user id in the prompt, a valid plan", async () => {
  const { result, stages } = await attempt((_stage, body) => {
    assert.match(
      String((body.messages as JsonObject[])[1]?.content),
      new RegExp(`^USER: ${JOB.user_id}$`, "m"),
    );
    return completion(JSON.stringify(plan()));
  });
  assert.ok(!(result instanceof PipelineError), String(result));
  assert.deepEqual(stages, [1, 2]);
  assert.equal(result.httpRequests, 2);
  assert.deepEqual(result.fixes, []);
});

Deno.test("a stage 2 plan with wrong kcal and no reason is repaired by the fixer", async () => {
  const { result } = await attempt((stage) => {
    const answer = plan() as JsonObject & {
      days: Record<string, { nutrition: JsonObject; reason?: string }>;
    };
    if (stage === 2 && answer.days.monday) {
      answer.days.monday.nutrition.total_kcal = TARGETS.total_kcal + 87;
      delete answer.days.monday.reason;
    }
    return completion("```json\n" + JSON.stringify(answer) + "\n```");
  });
  assert.ok(!(result instanceof PipelineError), String(result));
  assert.deepEqual(result.fixes, [
    `monday.nutrition.total_kcal: ${TARGETS.total_kcal + 87} -> ${TARGETS.total_kcal}`,
    "monday.reason: added",
  ]);
});

Deno.test("a stage 2 plan breaking the diet fails VALIDATION_FAILED naming the food", async () => {
  const { result } = await attempt((stage) => {
    const answer = plan() as JsonObject & {
      days: Record<string, { nutrition: { meals: Array<{ items: JsonObject[] }> } }>;
    };
    if (stage === 2) {
      answer.days.tuesday?.nutrition.meals[0]?.items.push({
        food: "Grilled chicken breast",
        qty: "1",
      });
    }
    return completion(JSON.stringify(answer));
  });
  assert.ok(result instanceof PipelineError);
  assert.equal(result.code, "VALIDATION_FAILED");
  assert.match(
    result.message,
    /tuesday\.nutrition\.meals\.0\.items\.1\.food: "Grilled chicken breast" breaks the Vegetarian diet/,
  );
});

Deno.test("stage 1 content that is not JSON fails JSON_PARSE_ERROR before stage 2", async () => {
  const { result, stages } = await attempt(() => completion("I cannot do that."));
  assert.ok(result instanceof PipelineError);
  assert.equal(result.code, "JSON_PARSE_ERROR");
  assert.match(result.message, /^stage 1: /);
  assert.deepEqual(stages, [1]);
});

Deno.test("the attempt deadline covers both stages: a slow stage 2 ends as AI_TIMEOUT on time", async () => {
  const started = performance.now();
  const { result, stages } = await attempt(
    (stage) => (stage === 1 ? completion(JSON.stringify(plan())) : keepAliveStall(25)),
    { attemptTimeoutMs: 500, callTimeoutMs: 10_000 },
  );
  const took = performance.now() - started;
  assert.ok(result instanceof PipelineError);
  assert.equal(result.code, "AI_TIMEOUT");
  assert.match(
    result.message,
    /stage 2 call aborted .* attempt deadline INTERNAL_TIMEOUT_MS=500 ms reached/,
  );
  assert.deepEqual(stages, [1, 2]);
  assert.ok(took < 500 + 400, `took ${took} ms`);
});

Deno.test("a job input that does not parse is UNEXPECTED_ERROR, with no DeepSeek call", async () => {
  const stub = startStub(() => completion("{}"));
  try {
    for (
      const input of [null, { profile: {}, targets: TARGETS }, {
        profile: JOB.input.profile,
        targets: { total_kcal: 1 },
      }]
    ) {
      await assert.rejects(
        runAttempt(
          { ...JOB, input: input as JsonObject },
          deepseekSettings(stub.url),
          recordingLogger().log,
        ),
        (error: unknown) => error instanceof PipelineError && error.code === "UNEXPECTED_ERROR",
      );
    }
    assert.equal(stub.paths.length, 0);
  } finally {
    await stub.close();
  }
  assert.deepEqual(readJobInput(JOB.input).targets, TARGETS);
});
