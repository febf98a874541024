import assert from "node:assert/strict";
import { stage1Messages, stage2Messages } from "../_shared/prompts.ts";
import { computeTargets } from "../_shared/targets.ts";
import { profile } from "./fixtures.ts";

const USER_ID = "6f1c2b9e-0d6a-4c1e-9a57-0c2f3c1d7e55";
const PROFILE = profile({ avoidExercises: ["Deadlift"], mealCount: 5 });
const TARGETS = computeTargets(PROFILE);

/** The object on the line after `label (json):`. */
function block(text: string, label: string): unknown {
  const lines = text.split("\n");
  const at = lines.indexOf(`${label} (json):`);
  assert.ok(at >= 0, `no ${label} label`);
  return JSON.parse(lines[at + 1] ?? "");
}

Deno.test("stage 1 follows the D2 layout the fake DeepSeek reads", () => {
  const [system, user] = stage1Messages(USER_ID, PROFILE, TARGETS);
  assert.equal(system?.role, "system");
  assert.match(system?.content ?? "", /\bStage 1 of 2\b/);
  assert.doesNotMatch(system?.content ?? "", /\bstage\s*2\b/i);
  assert.match(system?.content ?? "", /\bjson\b/);
  assert.ok((user?.content ?? "").split("\n").includes(`USER: ${USER_ID}`));
  assert.deepEqual(block(user?.content ?? "", "PROFILE"), {
    activityLevel: "moderate",
    age: 30,
    avoidExercises: ["Deadlift"],
    dietaryPreference: "Vegetarian",
    equipment: ["dumbbells", "bench"],
    goal: "muscle_gain",
    heightCm: 180,
    mealCount: 5,
    sex: "male",
    supplements: ["creatine"],
    trainingDaysPerWeek: 4,
    weightKg: 80,
  });
  assert.deepEqual(block(user?.content ?? "", "TARGETS"), TARGETS);
});

Deno.test("the rules name the exact targets, meal count, diet and avoided exercises", () => {
  const [system] = stage1Messages(USER_ID, PROFILE, TARGETS);
  const text = system?.content ?? "";
  assert.ok(text.includes(`exactly ${TARGETS.total_kcal}`));
  assert.ok(text.includes(`exactly ${TARGETS.protein_g}`));
  assert.ok(text.includes("exactly 5 meals"));
  assert.ok(text.includes("no meat, fish, seafood or eggs"));
  assert.ok(text.includes("Never use these exercises: Deadlift."));
});

Deno.test("stage 2 adds the draft plan and names its own stage", () => {
  const draft = { days: { monday: { reason: "x" } } };
  const [system, user] = stage2Messages(USER_ID, PROFILE, TARGETS, draft);
  assert.match(system?.content ?? "", /\bStage 2 of 2\b/);
  assert.doesNotMatch(system?.content ?? "", /\bstage\s*1\b/i);
  assert.deepEqual(block(user?.content ?? "", "DRAFT PLAN"), draft);
  assert.deepEqual(block(user?.content ?? "", "TARGETS"), TARGETS);
});
