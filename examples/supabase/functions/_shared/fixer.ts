/**
 * The planFixer: the server's final enforcement after Stage 2.
 *
 * It makes exact what may safely be made exact: every present day's `total_kcal` and
 * `protein_g` become the targets, a missing `reason` is written, and a missing
 * `recovery.supplementCard` (or its `current` / `addOns` list) is filled from the
 * profile's supplements. It never invents a missing day or part, and never removes a food
 * or an exercise that breaks the diet or the avoid list: those must fail validation.
 */

import { isRestFocus } from "./days.ts";
import { copyJson, isJsonObject, isText, type JsonObject } from "./json.ts";
import type { Profile } from "./profile.ts";
import type { Targets } from "./targets.ts";

/** The fixed plan (a copy; the input is untouched) and each change made, for the log. */
export interface FixResult {
  readonly plan: JsonObject;
  readonly changes: readonly string[];
}

export function fixPlan(plan: JsonObject, profile: Profile, targets: Targets): FixResult {
  const fixed = copyJson(plan);
  const changes: string[] = [];
  const days = fixed.days;
  if (isJsonObject(days)) {
    for (const [name, day] of Object.entries(days)) {
      if (isJsonObject(day)) changes.push(...fixDay(name, day, profile, targets));
    }
  }
  return { plan: fixed, changes };
}

function fixDay(name: string, day: JsonObject, profile: Profile, targets: Targets): string[] {
  const changes: string[] = [];
  const nutrition = day.nutrition;
  if (isJsonObject(nutrition)) {
    for (const key of ["total_kcal", "protein_g"] as const) {
      const current = nutrition[key];
      if (current !== targets[key]) {
        nutrition[key] = targets[key];
        changes.push(
          `${name}.nutrition.${key}: ${JSON.stringify(current ?? null)} -> ${targets[key]}`,
        );
      }
    }
  }
  if (!isText(day.reason)) {
    day.reason = defaultReason(name, day, targets);
    changes.push(`${name}.reason: added`);
  }
  const recovery = day.recovery;
  if (isJsonObject(recovery)) changes.push(...fixSupplementCard(name, recovery, profile));
  return changes;
}

function fixSupplementCard(name: string, recovery: JsonObject, profile: Profile): string[] {
  const card = recovery.supplementCard;
  if (card === undefined || card === null) {
    recovery.supplementCard = { current: [...profile.supplements], addOns: [] };
    return [`${name}.recovery.supplementCard: added`];
  }
  if (!isJsonObject(card)) return [];
  const changes: string[] = [];
  if (card.current === undefined || card.current === null) {
    card.current = [...profile.supplements];
    changes.push(`${name}.recovery.supplementCard.current: added`);
  }
  if (card.addOns === undefined || card.addOns === null) {
    card.addOns = [];
    changes.push(`${name}.recovery.supplementCard.addOns: added`);
  }
  return changes;
}

function defaultReason(name: string, day: JsonObject, targets: Targets): string {
  const workout = day.workout;
  const focus = isJsonObject(workout) ? workout.focus : undefined;
  const fuel = `${targets.total_kcal} kcal and ${targets.protein_g} g protein`;
  const dayName = name.charAt(0).toUpperCase() + name.slice(1);
  if (isText(focus) && !isRestFocus(focus)) {
    return `${dayName} trains ${focus.trim()}, fuelled by ${fuel}.`;
  }
  return `${dayName} is a rest day for recovery, still eating ${fuel}.`;
}
