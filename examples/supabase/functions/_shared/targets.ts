/**
 * Daily calorie and protein targets from a profile (Mifflin-St Jeor), in exact decimal
 * arithmetic with halves rounded up (docs/decisions.md P1, D31), and their JSON form (D1).
 *
 * - BMR = 10 x weightKg + 6.25 x heightCm - 5 x age, then + 5 (male) or - 161 (female);
 * - kcal = BMR x activity factor (1.2, 1.375, 1.55, 1.725) x goal adjustment
 *   (fat_loss 0.8, muscle_gain 1.1, otherwise 1), rounded to the nearest 10;
 * - protein = weightKg x (fat_loss 2.0, muscle_gain 1.8, otherwise 1.6), rounded to grams.
 *
 * A profile number is taken at the decimal value it was written with (70.1 kg is 70.1,
 * not the nearest binary float), so 2325 kcal rounds to 2330 and 130.5 g to 131.
 */

import { isJsonObject, isWholeNumber, type JsonObject } from "./json.ts";
import type { ActivityLevel, Goal, Profile } from "./profile.ts";

/** What every day of the plan must carry exactly. */
export interface Targets {
  readonly total_kcal: number;
  readonly protein_g: number;
}

/** An exact decimal: `units / 10^scale`. */
interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const ACTIVITY_FACTORS: Readonly<Record<ActivityLevel, string>> = {
  sedentary: "1.2",
  light: "1.375",
  moderate: "1.55",
  very_active: "1.725",
};
const GOAL_ADJUSTMENTS: Readonly<Record<Goal, string>> = {
  fat_loss: "0.8",
  muscle_gain: "1.1",
  recomposition: "1",
  general_fitness: "1",
};
const PROTEIN_G_PER_KG: Readonly<Record<Goal, string>> = {
  fat_loss: "2.0",
  muscle_gain: "1.8",
  recomposition: "1.6",
  general_fitness: "1.6",
};

/** The targets for a profile; see the module comment for the formula and the rounding. */
export function computeTargets(profile: Profile): Targets {
  const weight = decimal(String(profile.weightKg));
  const bmr = sum([
    times(decimal("10"), weight),
    times(decimal("6.25"), decimal(String(profile.heightCm))),
    times(decimal("-5"), decimal(String(profile.age))),
    decimal(profile.sex === "male" ? "5" : "-161"),
  ]);
  const kcal = times(
    times(bmr, decimal(ACTIVITY_FACTORS[profile.activityLevel])),
    decimal(GOAL_ADJUSTMENTS[profile.goal]),
  );
  const protein = times(weight, decimal(PROTEIN_G_PER_KG[profile.goal]));
  const tensOfKcal = roundHalfUp({ units: kcal.units, scale: kcal.scale + 1 });
  return { total_kcal: tensOfKcal * 10, protein_g: roundHalfUp(protein) };
}

/** The JSON object of D1: `{"total_kcal": ..., "protein_g": ...}`. */
export function targetsToJson(targets: Targets): JsonObject {
  return { total_kcal: targets.total_kcal, protein_g: targets.protein_g };
}

/** Read a D1 targets object back: positive whole numbers only, no other keys; else null. */
export function parseTargets(data: unknown): Targets | null {
  if (!isJsonObject(data)) return null;
  if (Object.keys(data).some((key) => key !== "total_kcal" && key !== "protein_g")) return null;
  const { total_kcal, protein_g } = data;
  if (!isWholeNumber(total_kcal) || !isWholeNumber(protein_g)) return null;
  if (total_kcal <= 0 || protein_g <= 0) return null;
  return { total_kcal, protein_g };
}

/** Parse a number's decimal text (`String(x)` is the shortest text that reads back as x). */
function decimal(text: string): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (match === null) throw new RangeError(`not a finite decimal number: ${text}`);
  const [, sign = "", whole = "0", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  let units = BigInt(`${sign}${whole}${fraction}`);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

function times(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

function sum(values: readonly Decimal[]): Decimal {
  const scale = Math.max(...values.map((value) => value.scale));
  const units = values.reduce(
    (total, value) => total + value.units * 10n ** BigInt(scale - value.scale),
    0n,
  );
  return { units, scale };
}

/** The nearest whole number, halves away from zero (Python's ROUND_HALF_UP). */
function roundHalfUp(value: Decimal): number {
  const divisor = 10n ** BigInt(value.scale);
  const quotient = value.units / divisor;
  const remainder = value.units % divisor;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  const away = twice >= divisor ? (value.units < 0n ? -1n : 1n) : 0n;
  return Number(quotient + away);
}
