/**
 * The user profile create-plan-job takes, and its field-by-field validation
 * (docs/decisions.md P6, D30): every bad field is named, unknown fields included.
 *
 * Numbers must be JSON numbers (a `"30"` string or `true` is refused, not coerced);
 * `age`, `trainingDaysPerWeek` and `mealCount` are whole numbers. The three lists may be
 * omitted (then empty) and hold at most 30 strings of 1-80 characters, trimmed.
 */

import type { FieldError } from "./http.ts";
import { isJsonObject, jsonKind, type JsonObject, shorten } from "./json.ts";

export const SEXES = ["male", "female"] as const;
export const GOALS = ["fat_loss", "muscle_gain", "recomposition", "general_fitness"] as const;
export const ACTIVITY_LEVELS = ["sedentary", "light", "moderate", "very_active"] as const;
export const DIETARY_PREFERENCES = ["Vegetarian", "Eggitarian", "Non-veg"] as const;

export type Sex = typeof SEXES[number];
export type Goal = typeof GOALS[number];
export type ActivityLevel = typeof ACTIVITY_LEVELS[number];
export type DietaryPreference = typeof DIETARY_PREFERENCES[number];

export const MAX_LIST_ITEMS = 30;
export const MAX_ITEM_LENGTH = 80;

/** A validated profile, every field present, with the camelCase JSON names. */
export interface Profile {
  readonly age: number;
  readonly sex: Sex;
  readonly heightCm: number;
  readonly weightKg: number;
  readonly goal: Goal;
  readonly activityLevel: ActivityLevel;
  readonly trainingDaysPerWeek: number;
  readonly equipment: readonly string[];
  readonly dietaryPreference: DietaryPreference;
  readonly mealCount: number;
  readonly avoidExercises: readonly string[];
  readonly supplements: readonly string[];
}

export type ProfileResult =
  | { readonly ok: true; readonly profile: Profile }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

type FieldCheck = (value: unknown, path: string, errors: FieldError[]) => unknown;

const FIELDS: ReadonlyArray<readonly [keyof Profile, FieldCheck, { optional?: boolean }]> = [
  ["age", wholeNumberIn(13, 100), {}],
  ["sex", oneOf(SEXES), {}],
  ["heightCm", numberIn(100, 250), {}],
  ["weightKg", numberIn(30, 300), {}],
  ["goal", oneOf(GOALS), {}],
  ["activityLevel", oneOf(ACTIVITY_LEVELS), {}],
  ["trainingDaysPerWeek", wholeNumberIn(1, 7), {}],
  ["equipment", textList, { optional: true }],
  ["dietaryPreference", oneOf(DIETARY_PREFERENCES), {}],
  ["mealCount", wholeNumberIn(3, 6), {}],
  ["avoidExercises", textList, { optional: true }],
  ["supplements", textList, { optional: true }],
];
const FIELD_NAMES: ReadonlySet<string> = new Set(FIELDS.map(([name]) => name));

/**
 * Validate `data` as a profile, or name every bad field. `path` prefixes each field
 * (`profile.mealCount`; `input.profile.age` when a job's input is read back).
 */
export function parseProfile(data: unknown, path = "profile"): ProfileResult {
  if (!isJsonObject(data)) {
    return {
      ok: false,
      errors: [{ field: path, message: `must be a JSON object, got ${jsonKind(data)}` }],
    };
  }
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, check, { optional }] of FIELDS) {
    const where = `${path}.${name}`;
    if (!(name in data) || data[name] === undefined) {
      if (optional) values[name] = [];
      else errors.push({ field: where, message: "is required" });
      continue;
    }
    values[name] = check(data[name], where, errors);
  }
  for (const name of Object.keys(data)) {
    if (!FIELD_NAMES.has(name)) {
      errors.push({ field: `${path}.${name}`, message: "is not a profile field" });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, profile: values as unknown as Profile };
}

/** The profile as the JSON object stored in the job input and shown to the model. */
export function profileToJson(profile: Profile): JsonObject {
  return {
    age: profile.age,
    sex: profile.sex,
    heightCm: profile.heightCm,
    weightKg: profile.weightKg,
    goal: profile.goal,
    activityLevel: profile.activityLevel,
    trainingDaysPerWeek: profile.trainingDaysPerWeek,
    equipment: [...profile.equipment],
    dietaryPreference: profile.dietaryPreference,
    mealCount: profile.mealCount,
    avoidExercises: [...profile.avoidExercises],
    supplements: [...profile.supplements],
  };
}

function got(value: unknown): string {
  return `(got ${shorten(JSON.stringify(value) ?? String(value), 40)})`;
}

function wholeNumberIn(low: number, high: number): FieldCheck {
  return (value, path, errors) => {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      errors.push({ field: path, message: `must be a whole number ${got(value)}` });
    } else if (value < low || value > high) {
      errors.push({ field: path, message: `must be from ${low} to ${high} ${got(value)}` });
    }
    return value;
  };
}

function numberIn(low: number, high: number): FieldCheck {
  return (value, path, errors) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      errors.push({ field: path, message: `must be a number ${got(value)}` });
    } else if (value < low || value > high) {
      errors.push({ field: path, message: `must be from ${low} to ${high} ${got(value)}` });
    }
    return value;
  };
}

function oneOf(choices: readonly string[]): FieldCheck {
  return (value, path, errors) => {
    if (typeof value !== "string" || !choices.includes(value)) {
      const listed = choices.map((choice) => JSON.stringify(choice)).join(", ");
      errors.push({ field: path, message: `must be one of ${listed} ${got(value)}` });
    }
    return value;
  };
}

function textList(value: unknown, path: string, errors: FieldError[]): unknown {
  if (!Array.isArray(value)) {
    const shown = isJsonObject(value) ? "(got an object)" : got(value);
    errors.push({ field: path, message: `must be an array of strings ${shown}` });
    return value;
  }
  if (value.length > MAX_LIST_ITEMS) {
    errors.push({
      field: path,
      message: `must have at most ${MAX_LIST_ITEMS} items, got ${value.length}`,
    });
  }
  return value.map((item: unknown, index) => {
    const where = `${path}.${index}`;
    if (typeof item !== "string") {
      errors.push({ field: where, message: `must be a string ${got(item)}` });
      return item;
    }
    const trimmed = item.trim();
    const characters = [...trimmed].length;
    if (characters === 0) errors.push({ field: where, message: "must not be blank" });
    else if (characters > MAX_ITEM_LENGTH) {
      errors.push({
        field: where,
        message: `must be at most ${MAX_ITEM_LENGTH} characters, got ${characters}`,
      });
    }
    return trimmed;
  });
}
