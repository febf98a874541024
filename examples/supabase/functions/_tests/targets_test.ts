import assert from "node:assert/strict";
import { computeTargets, parseTargets } from "../_shared/targets.ts";
import { profile } from "./fixtures.ts";

// Expected values are the Python reference's (reference_impl/pipeline/targets.py).
const CASES: Array<[Parameters<typeof profile>[0], { total_kcal: number; protein_g: number }]> = [
  [{}, { total_kcal: 3030, protein_g: 144 }],
  [
    {
      sex: "female",
      heightCm: 165.5,
      weightKg: 62.3,
      goal: "fat_loss",
      activityLevel: "light",
      age: 41,
    },
    { total_kcal: 1420, protein_g: 125 },
  ],
  [{
    weightKg: 70.1,
    heightCm: 172.4,
    age: 27,
    activityLevel: "very_active",
    goal: "recomposition",
  }, {
    total_kcal: 2840,
    protein_g: 112,
  }],
  [{
    age: 100,
    sex: "female",
    heightCm: 100,
    weightKg: 30,
    activityLevel: "sedentary",
    goal: "general_fitness",
  }, { total_kcal: 320, protein_g: 48 }],
];

Deno.test("targets match the reference's Mifflin-St Jeor values", () => {
  for (const [overrides, expected] of CASES) {
    assert.deepEqual(computeTargets(profile(overrides)), expected, JSON.stringify(overrides));
  }
});

Deno.test("an exact half of protein rounds up, not to even (130.5 g -> 131)", () => {
  const targets = computeTargets(profile({ weightKg: 65.25, goal: "fat_loss" }));
  assert.equal(targets.protein_g, 131);
});

Deno.test("an exact half of ten kcal rounds up (1635 -> 1640, 1575 -> 1580)", () => {
  const base = { heightCm: 150, weightKg: 52, activityLevel: "sedentary", goal: "recomposition" };
  assert.equal(computeTargets(profile({ ...base, age: 20 })).total_kcal, 1640);
  assert.equal(computeTargets(profile({ ...base, age: 30 })).total_kcal, 1580);
});

Deno.test("targets read back from a job input must be positive whole numbers and nothing else", () => {
  assert.deepEqual(parseTargets({ total_kcal: 2350, protein_g: 150 }), {
    total_kcal: 2350,
    protein_g: 150,
  });
  assert.equal(parseTargets({ total_kcal: 2350 }), null);
  assert.equal(parseTargets({ total_kcal: "2350", protein_g: 150 }), null);
  assert.equal(parseTargets({ total_kcal: 0, protein_g: 150 }), null);
  assert.equal(parseTargets({ total_kcal: 2350, protein_g: 150, extra: 1 }), null);
  assert.equal(parseTargets([2350, 150]), null);
});
