import assert from "node:assert/strict";
import type { JsonObject, JsonValue } from "../_shared/json.ts";
import { parseProfile, profileToJson } from "../_shared/profile.ts";
import { profileJson } from "./fixtures.ts";

function fieldsOf(data: JsonValue): string[] {
  const result = parseProfile(data);
  return result.ok ? [] : result.errors.map((error) => error.field);
}

// The harness's invalid_profiles() cases (harness/profiles.py): one broken field each.
const BROKEN: Array<[string, JsonValue]> = [
  ["age", "thirty"],
  ["age", -1],
  ["age", 30.5],
  ["heightCm", 0],
  ["weightKg", "heavy"],
  ["sex", "unknown"],
  ["goal", "bulk"],
  ["activityLevel", "extreme"],
  ["trainingDaysPerWeek", 0],
  ["trainingDaysPerWeek", 8],
  ["trainingDaysPerWeek", "3"],
  ["dietaryPreference", "Vegan"],
  ["dietaryPreference", "vegetarian"],
  ["mealCount", 2],
  ["mealCount", 7],
  ["mealCount", true],
  ["equipment", "dumbbells"],
  ["supplements", "creatine"],
];

Deno.test("a valid profile is accepted, lists trimmed and omitted lists empty", () => {
  const data = profileJson({ equipment: ["  dumbbells "] });
  delete data.avoidExercises;
  delete data.supplements;
  const result = parseProfile(data);
  assert.ok(result.ok);
  assert.deepEqual(result.profile.equipment, ["dumbbells"]);
  assert.deepEqual(profileToJson(result.profile).avoidExercises, []);
  assert.deepEqual(profileToJson(result.profile).supplements, []);
});

Deno.test("each broken field is named, and only that one", () => {
  for (const [field, value] of BROKEN) {
    assert.deepEqual(
      fieldsOf(profileJson({ [field]: value })),
      [`profile.${field}`],
      `${field}=${value}`,
    );
  }
});

Deno.test("a missing required field is named with 'is required'", () => {
  for (const field of ["heightCm", "goal", "dietaryPreference", "mealCount"]) {
    const data: JsonObject = profileJson();
    delete data[field];
    const result = parseProfile(data);
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [{ field: `profile.${field}`, message: "is required" }]);
  }
});

Deno.test("list entries are checked one by one, with their index", () => {
  assert.deepEqual(fieldsOf(profileJson({ avoidExercises: ["Squat", 42] })), [
    "profile.avoidExercises.1",
  ]);
  assert.deepEqual(fieldsOf(profileJson({ equipment: ["   "] })), ["profile.equipment.0"]);
  assert.deepEqual(fieldsOf(profileJson({ supplements: ["x".repeat(81)] })), [
    "profile.supplements.0",
  ]);
  assert.deepEqual(fieldsOf(profileJson({ supplements: ["\u00e9".repeat(80)] })), []);
  assert.deepEqual(
    fieldsOf(profileJson({ equipment: Array.from({ length: 31 }, (_, i) => `item ${i}`) })),
    ["profile.equipment"],
  );
});

Deno.test("every bad field is reported at once, unknown fields included", () => {
  const result = parseProfile(profileJson({ age: "x", mealCount: 9, favouriteColour: "red" }));
  assert.ok(!result.ok);
  assert.deepEqual(result.errors.map((error) => error.field), [
    "profile.age",
    "profile.mealCount",
    "profile.favouriteColour",
  ]);
  assert.match(result.errors[2]?.message ?? "", /not a profile field/);
  assert.match(result.errors[0]?.message ?? "", /whole number \(got "x"\)/);
});

Deno.test("a profile that is not an object is refused naming the path", () => {
  assert.deepEqual(parseProfile([1, 2], "input.profile"), {
    ok: false,
    errors: [{ field: "input.profile", message: "must be a JSON object, got an array" }],
  });
});
