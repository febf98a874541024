import assert from "node:assert/strict";
import { copyJson, type JsonObject } from "../_shared/json.ts";
import { computeTargets } from "../_shared/targets.ts";
import { describeViolation, normalizeExercise, validateWeeklyPlan } from "../_shared/validator.ts";
import { profile, validPlan } from "./fixtures.ts";

const PROFILE = profile();
const TARGETS = computeTargets(PROFILE);

/** A valid plan with `edit` applied to a copy. */
function edited(edit: (days: Record<string, JsonObject>) => void): JsonObject {
  const plan = copyJson(validPlan(PROFILE, TARGETS));
  edit(plan.days as unknown as Record<string, JsonObject>);
  return plan;
}

function fields(plan: unknown): string[] {
  return validateWeeklyPlan(plan, PROFILE, TARGETS).map(describeViolation);
}

Deno.test("a plan that keeps every rule has no violations", () => {
  assert.deepEqual(fields(validPlan(PROFILE, TARGETS)), []);
});

Deno.test("a missing day, an unknown day key and a plan of the wrong shape are violations", () => {
  const plan = edited((days) => {
    delete days.sunday;
    days.Funday = {};
  });
  assert.deepEqual(fields(plan), [
    "Funday: is not one of the seven lowercase day names",
    "sunday: day is missing",
  ]);
  assert.deepEqual(fields({ days: [] }), ["days: must be an object keyed by the seven day names"]);
  assert.deepEqual(fields("plan"), ["plan: plan must be a JSON object"]);
});

Deno.test("wrong targets, meal counts, diet and avoided exercises are violations", () => {
  const plan = edited((days) => {
    const monday = days.monday as JsonObject & { nutrition: JsonObject; workout: JsonObject };
    monday.nutrition.total_kcal = TARGETS.total_kcal + 100;
    (monday.nutrition.meals as JsonObject[]).pop();
    (monday.nutrition.meals as Array<{ items: JsonObject[] }>)[0]?.items.push({
      food: "Grilled chicken breasts",
      qty: "150 g",
    });
    const blocks = monday.workout.blocks as Array<{ items: JsonObject[] }>;
    blocks[0]?.items.push({ exercise: "barbell  back SQUAT", sets: 3, reps: 5, restSec: 120 });
  });
  const found = fields(plan);
  assert.equal(found.length, 4, found.join("\n"));
  assert.match(found[0] ?? "", /^monday\.workout\.blocks\.0\.items\.1\.exercise: .*avoidExercises/);
  assert.match(found[1] ?? "", /^monday\.nutrition\.total_kcal: must equal the target 3030/);
  assert.match(
    found[2] ?? "",
    /^monday\.nutrition\.meals: must have exactly mealCount 4 meals, got 3/,
  );
  assert.match(found[3] ?? "", /breaks the Vegetarian diet \("chicken"\)/);
});

Deno.test("eggs break Vegetarian but not Eggitarian; whole words only", () => {
  const eggs = (diet: string) => {
    const who = profile({ dietaryPreference: diet });
    const plan = copyJson(validPlan(who, TARGETS)) as JsonObject & {
      days: Record<string, { nutrition: { meals: Array<{ items: JsonObject[] }> } }>;
    };
    plan.days.monday?.nutrition.meals[0]?.items.push({ food: "Boiled eggs", qty: 2 });
    plan.days.monday?.nutrition.meals[0]?.items.push({ food: "Eggplant curry", qty: "1 bowl" });
    return validateWeeklyPlan(plan, who, TARGETS).map(describeViolation);
  };
  assert.equal(eggs("Vegetarian").length, 1);
  assert.deepEqual(eggs("Eggitarian"), []);
  assert.deepEqual(eggs("Non-veg"), []);
});

Deno.test("too many training days, and blocks on a rest day, are violations", () => {
  const plan = edited((days) => {
    const sunday = days.sunday as JsonObject & { workout: JsonObject };
    sunday.workout.blocks = (days.monday as JsonObject & { workout: JsonObject }).workout.blocks ??
      [];
  });
  assert.deepEqual(fields(plan), [
    "sunday.workout.blocks: a rest day has no blocks, found 1",
    "days: 5 training days have blocks, more than trainingDaysPerWeek (4)",
  ]);
});

Deno.test("missing reason and supplementCard are violations (the fixer adds them first)", () => {
  const plan = edited((days) => {
    delete days.friday?.reason;
    delete (days.friday?.recovery as JsonObject).supplementCard;
  });
  assert.deepEqual(fields(plan), [
    "friday.recovery.supplementCard: is missing (must be an object)",
    "friday.reason: is missing (must be a non-empty sentence)",
  ]);
});

Deno.test("exercise names compare without case or spacing; a longer name is another exercise", () => {
  assert.equal(normalizeExercise("Bench  press"), normalizeExercise("BENCHPRESS"));
  assert.notEqual(normalizeExercise("Goblet Squat"), normalizeExercise("Squat"));
});
