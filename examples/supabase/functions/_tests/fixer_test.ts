import assert from "node:assert/strict";
import { fixPlan } from "../_shared/fixer.ts";
import { copyJson, type JsonObject } from "../_shared/json.ts";
import { computeTargets } from "../_shared/targets.ts";
import { validateWeeklyPlan } from "../_shared/validator.ts";
import { profile, validPlan } from "./fixtures.ts";

const PROFILE = profile({ supplements: ["creatine", "vitamin D"] });
const TARGETS = computeTargets(PROFILE);

type Days = Record<
  string,
  JsonObject & { nutrition: JsonObject; recovery: JsonObject; workout: JsonObject }
>;

function broken(edit: (days: Days) => void): JsonObject {
  const plan = copyJson(validPlan(PROFILE, TARGETS));
  edit(plan.days as unknown as Days);
  return plan;
}

Deno.test("kcal and protein are forced to the targets on every day", () => {
  const plan = broken((days) => {
    for (const day of Object.values(days)) {
      day.nutrition.total_kcal = 1999;
      day.nutrition.protein_g = "150";
    }
  });
  const fixed = fixPlan(plan, PROFILE, TARGETS);
  assert.deepEqual(validateWeeklyPlan(fixed.plan, PROFILE, TARGETS), []);
  assert.equal(fixed.changes.length, 14);
  assert.ok(fixed.changes.includes(`monday.nutrition.total_kcal: 1999 -> ${TARGETS.total_kcal}`));
  assert.equal(
    (plan.days as unknown as Days).monday?.nutrition.total_kcal,
    1999,
    "the input is untouched",
  );
});

Deno.test("a missing reason and supplementCard are added on every day", () => {
  const plan = broken((days) => {
    delete days.monday?.reason;
    if (days.tuesday) days.tuesday.reason = "   ";
    delete days.wednesday?.recovery.supplementCard;
    if (days.thursday) days.thursday.recovery.supplementCard = { addOns: ["magnesium"] };
  });
  const fixed = fixPlan(plan, PROFILE, TARGETS);
  const days = fixed.plan.days as unknown as Days;
  assert.deepEqual(validateWeeklyPlan(fixed.plan, PROFILE, TARGETS), []);
  assert.match(String(days.monday?.reason), /^Monday trains Upper body, fuelled by 3030 kcal/);
  assert.match(String(days.tuesday?.reason), /^Tuesday trains/);
  assert.deepEqual(days.wednesday?.recovery.supplementCard, {
    current: ["creatine", "vitamin D"],
    addOns: [],
  });
  assert.deepEqual(days.thursday?.recovery.supplementCard, {
    addOns: ["magnesium"],
    current: ["creatine", "vitamin D"],
  });
  assert.deepEqual(fixed.changes, [
    "monday.reason: added",
    "tuesday.reason: added",
    "wednesday.recovery.supplementCard: added",
    "thursday.recovery.supplementCard.current: added",
  ]);
});

Deno.test("the fixer never invents a day or removes a diet or avoid violation", () => {
  const plan = broken((days) => {
    delete days.sunday;
    const meals = days.monday?.nutrition.meals as Array<{ items: JsonObject[] }>;
    meals[0]?.items.push({ food: "Tuna salad", qty: "1 bowl" });
    const blocks = days.tuesday?.workout.blocks as Array<{ items: JsonObject[] }>;
    blocks[0]?.items.push({ exercise: "Barbell Back Squat", sets: 5, reps: 5, restSec: 180 });
  });
  const fixed = fixPlan(plan, PROFILE, TARGETS);
  const left = validateWeeklyPlan(fixed.plan, PROFILE, TARGETS).map((violation) => violation.day);
  assert.deepEqual(left.sort(), ["monday", "sunday", "tuesday"]);
  assert.equal(Object.keys(fixed.plan.days as JsonObject).length, 6);
});

Deno.test("a day without nutrition or recovery is left for validation to report", () => {
  const plan = broken((days) => {
    delete (days.monday as Partial<Days[string]>).nutrition;
    delete (days.monday as Partial<Days[string]>).recovery;
  });
  const fixed = fixPlan(plan, PROFILE, TARGETS);
  assert.deepEqual(
    validateWeeklyPlan(fixed.plan, PROFILE, TARGETS).map((violation) => violation.field),
    ["nutrition", "recovery"],
  );
});
