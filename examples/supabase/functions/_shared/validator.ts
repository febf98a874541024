/**
 * `validateWeeklyPlan`: the structural and rule check a plan must pass before it is saved
 * (docs/decisions.md P6). Keys the model adds are tolerated; missing or malformed required
 * ones, diet and avoid-list breaches, wrong targets or meal counts, and too many training
 * days are violations, and any violation fails the attempt with `VALIDATION_FAILED`.
 */

import { DAY_NAMES, isDayName, isRestFocus } from "./days.ts";
import { dietViolation } from "./diet.ts";
import {
  describeValue,
  isJsonObject,
  isNumber,
  isText,
  isTextList,
  isWholeNumber,
} from "./json.ts";
import type { Profile } from "./profile.ts";
import type { Targets } from "./targets.ts";

/** One broken rule: the day (null for plan-wide rules), the field path, what is wrong. */
export interface Violation {
  readonly day: string | null;
  readonly field: string;
  readonly message: string;
}

/** `monday.nutrition.total_kcal: must equal ...`, or `plan: ...` for plan-wide rules. */
export function describeViolation(violation: Violation): string {
  const where = [violation.day, violation.field].filter((part) => part).join(".");
  return `${where || "plan"}: ${violation.message}`;
}

/** An exercise name compared case- and spacing-insensitively ("Bench  press" = "BENCHPRESS"). */
export function normalizeExercise(name: string): string {
  return name.replace(/\s+/g, "").toLowerCase();
}

/** Every violation of the plan rules for this profile and these targets; empty when valid. */
export function validateWeeklyPlan(plan: unknown, profile: Profile, targets: Targets): Violation[] {
  if (!isJsonObject(plan)) return [{ day: null, field: "", message: "plan must be a JSON object" }];
  const days = plan.days;
  if (!isJsonObject(days)) {
    return [{
      day: null,
      field: "days",
      message: "must be an object keyed by the seven day names",
    }];
  }
  const violations: Violation[] = Object.keys(days)
    .filter((name) => !isDayName(name))
    .map((name) => ({
      day: name,
      field: "",
      message: "is not one of the seven lowercase day names",
    }));
  const avoided = new Set(profile.avoidExercises.map(normalizeExercise));
  let trainingDays = 0;
  for (const name of DAY_NAMES) {
    if (!(name in days)) {
      violations.push({ day: name, field: "", message: "day is missing" });
      continue;
    }
    const day = days[name];
    if (!isJsonObject(day)) {
      violations.push({ day: name, field: "", message: "must be an object" });
      continue;
    }
    const checks = new DayChecks(name, violations);
    if (checks.workout(day.workout, avoided)) trainingDays += 1;
    checks.nutrition(day.nutrition, profile, targets);
    checks.recovery(day.recovery);
    checks.reason(day.reason);
  }
  if (trainingDays > profile.trainingDaysPerWeek) {
    violations.push({
      day: null,
      field: "days",
      message: `${trainingDays} training days have blocks, more than trainingDaysPerWeek ` +
        `(${profile.trainingDaysPerWeek})`,
    });
  }
  return violations;
}

function missingOrNot(expected: string, value: unknown): string {
  if (value === null || value === undefined) return `is missing (must be ${expected})`;
  return `must be ${expected}, got ${describeValue(value)}`;
}

/** The checks of one day, appending to the plan's list of violations. */
class DayChecks {
  constructor(private readonly day: string, private readonly violations: Violation[]) {}

  fail(field: string, message: string): void {
    this.violations.push({ day: this.day, field, message });
  }

  /** Check the workout; true when it is a training day (it has blocks). */
  workout(workout: unknown, avoided: ReadonlySet<string>): boolean {
    if (!isJsonObject(workout)) {
      this.fail("workout", missingOrNot("an object", workout));
      return false;
    }
    if (!isText(workout.focus)) {
      this.fail("workout.focus", missingOrNot("a non-empty string", workout.focus));
    }
    if (!(isWholeNumber(workout.durationMin) && workout.durationMin >= 0)) {
      this.fail("workout.durationMin", missingOrNot("a whole number >= 0", workout.durationMin));
    }
    const blocks = workout.blocks ?? [];
    if (!Array.isArray(blocks)) {
      this.fail("workout.blocks", `must be a list, got ${describeValue(blocks)}`);
      return false;
    }
    if (isRestFocus(workout.focus) && blocks.length > 0) {
      this.fail("workout.blocks", `a rest day has no blocks, found ${blocks.length}`);
    }
    blocks.forEach((block, index) => this.block(`workout.blocks.${index}`, block, avoided));
    return blocks.length > 0;
  }

  private block(path: string, block: unknown, avoided: ReadonlySet<string>): void {
    if (!isJsonObject(block)) {
      this.fail(path, `must be an object, got ${describeValue(block)}`);
      return;
    }
    if (!isText(block.name)) {
      this.fail(`${path}.name`, missingOrNot("a non-empty string", block.name));
    }
    const items = block.items;
    if (!Array.isArray(items) || items.length === 0) {
      this.fail(`${path}.items`, missingOrNot("a non-empty list", items));
      return;
    }
    items.forEach((item, index) => this.exercise(`${path}.items.${index}`, item, avoided));
  }

  private exercise(path: string, item: unknown, avoided: ReadonlySet<string>): void {
    if (!isJsonObject(item)) {
      this.fail(path, `must be an object, got ${describeValue(item)}`);
      return;
    }
    const exercise = item.exercise;
    if (!isText(exercise)) {
      this.fail(`${path}.exercise`, missingOrNot("a non-empty string", exercise));
    } else if (avoided.has(normalizeExercise(exercise))) {
      this.fail(`${path}.exercise`, `${JSON.stringify(exercise)} is in the user's avoidExercises`);
    }
    if (!(isWholeNumber(item.sets) && item.sets >= 1)) {
      this.fail(`${path}.sets`, missingOrNot("a whole number >= 1", item.sets));
    }
    const reps = item.reps;
    if (!((isWholeNumber(reps) && reps >= 1) || isText(reps))) {
      this.fail(`${path}.reps`, missingOrNot("a whole number >= 1 or a string", reps));
    }
    if (!(isWholeNumber(item.restSec) && item.restSec >= 0)) {
      this.fail(`${path}.restSec`, missingOrNot("a whole number >= 0", item.restSec));
    }
  }

  nutrition(nutrition: unknown, profile: Profile, targets: Targets): void {
    if (!isJsonObject(nutrition)) {
      this.fail("nutrition", missingOrNot("an object", nutrition));
      return;
    }
    for (const key of ["total_kcal", "protein_g"] as const) {
      const actual = nutrition[key];
      if (!isNumber(actual) || actual !== targets[key]) {
        this.fail(
          `nutrition.${key}`,
          `must equal the target ${targets[key]}, got ${JSON.stringify(actual ?? null)}`,
        );
      }
    }
    const meals = nutrition.meals;
    if (!Array.isArray(meals)) {
      this.fail("nutrition.meals", missingOrNot("a list", meals));
      return;
    }
    if (meals.length !== profile.mealCount) {
      this.fail(
        "nutrition.meals",
        `must have exactly mealCount ${profile.mealCount} meals, got ${meals.length}`,
      );
    }
    meals.forEach((meal, index) => this.meal(`nutrition.meals.${index}`, meal, profile));
  }

  private meal(path: string, meal: unknown, profile: Profile): void {
    if (!isJsonObject(meal)) {
      this.fail(path, `must be an object, got ${describeValue(meal)}`);
      return;
    }
    if (!isText(meal.name)) {
      this.fail(`${path}.name`, missingOrNot("a non-empty string", meal.name));
    }
    for (const key of ["kcal", "protein_g"] as const) {
      const amount = meal[key];
      if (!(isNumber(amount) && amount >= 0)) {
        this.fail(`${path}.${key}`, missingOrNot("a number >= 0", amount));
      }
    }
    const items = meal.items;
    if (!Array.isArray(items) || items.length === 0) {
      this.fail(`${path}.items`, missingOrNot("a non-empty list", items));
      return;
    }
    items.forEach((item, index) => this.food(`${path}.items.${index}`, item, profile));
  }

  private food(path: string, item: unknown, profile: Profile): void {
    if (!isJsonObject(item)) {
      this.fail(path, `must be an object, got ${describeValue(item)}`);
      return;
    }
    const food = item.food;
    if (!isText(food)) {
      this.fail(`${path}.food`, missingOrNot("a non-empty string", food));
    } else {
      const word = dietViolation(food, profile.dietaryPreference);
      if (word !== null) {
        this.fail(
          `${path}.food`,
          `${JSON.stringify(food)} breaks the ${profile.dietaryPreference} diet (${
            JSON.stringify(word)
          })`,
        );
      }
    }
    const qty = item.qty;
    if (!(isText(qty) || (isNumber(qty) && qty > 0))) {
      this.fail(`${path}.qty`, missingOrNot("a non-empty string or a number > 0", qty));
    }
  }

  recovery(recovery: unknown): void {
    if (!isJsonObject(recovery)) {
      this.fail("recovery", missingOrNot("an object", recovery));
      return;
    }
    for (const key of ["mobility", "sleep"] as const) {
      if (!isTextList(recovery[key])) {
        this.fail(`recovery.${key}`, missingOrNot("a list of strings", recovery[key]));
      }
    }
    const card = recovery.supplementCard;
    if (!isJsonObject(card)) {
      this.fail("recovery.supplementCard", missingOrNot("an object", card));
      return;
    }
    for (const key of ["current", "addOns"] as const) {
      if (!isTextList(card[key])) {
        this.fail(`recovery.supplementCard.${key}`, missingOrNot("a list of strings", card[key]));
      }
    }
  }

  reason(reason: unknown): void {
    if (!isText(reason)) this.fail("reason", missingOrNot("a non-empty sentence", reason));
  }
}
