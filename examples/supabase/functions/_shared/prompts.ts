/**
 * The chat messages of Stage 1 (draft) and Stage 2 (review and fix), laid out as
 * docs/decisions.md D2 says, since the fake DeepSeek (and the journal a test reads) rely on it:
 *
 * - the system message names the stage (`Stage 1 of 2`) and contains the word json;
 * - the user message has `USER: <uuid>` on its own line, then `PROFILE (json):` and
 *   `TARGETS (json):` (and in Stage 2 `DRAFT PLAN (json):`), each label on its own line
 *   followed by the JSON object on the next.
 */

import { DAY_NAMES } from "./days.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { type DietaryPreference, type Profile, profileToJson } from "./profile.ts";
import { type Targets, targetsToJson } from "./targets.ts";

/** One message of an OpenAI-style chat request. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

const PLAN_SHAPE =
  `Reply with a single json object and nothing else: no prose, no code fences. Its shape:
{"days": {"monday": Day, "tuesday": Day, "wednesday": Day, "thursday": Day,
          "friday": Day, "saturday": Day, "sunday": Day}}
Day = {
  "workout": {"focus": string, "durationMin": integer,
              "blocks": [{"name": string,
                          "items": [{"exercise": string, "sets": integer,
                                     "reps": integer or string, "restSec": integer}]}]},
  "nutrition": {"total_kcal": integer, "protein_g": integer,
                "meals": [{"name": string, "items": [{"food": string, "qty": string}],
                           "kcal": integer, "protein_g": integer}]},
  "recovery": {"mobility": [string], "sleep": [string],
               "supplementCard": {"current": [string], "addOns": [string]}},
  "reason": string
}`;

const DIET_RULES: Readonly<Record<DietaryPreference, string>> = {
  Vegetarian: "no meat, fish, seafood or eggs in any meal item",
  Eggitarian: "eggs are fine; no meat, fish or seafood in any meal item",
  "Non-veg": "every food is allowed",
};

function rules(profile: Profile, targets: Targets): string {
  const avoided = profile.avoidExercises.length > 0 ? profile.avoidExercises.join(", ") : "none";
  return [
    "The plan must follow every rule:",
    `1. Exactly seven days, keyed by the lowercase names ${DAY_NAMES.join(", ")}.`,
    "2. Each day has workout, nutrition, recovery and reason.",
    `3. Each day's nutrition.total_kcal is exactly ${targets.total_kcal} and nutrition.protein_g ` +
    `is exactly ${targets.protein_g}.`,
    `4. Each day has exactly ${profile.mealCount} meals.`,
    `5. Diet ${profile.dietaryPreference}: ${DIET_RULES[profile.dietaryPreference]}.`,
    `6. Never use these exercises: ${avoided}.`,
    `7. At most ${profile.trainingDaysPerWeek} training days have blocks; every other day is a ` +
    'rest day with focus "Rest" and no blocks.',
    "8. recovery.supplementCard.current lists the user's current supplements; addOns lists " +
    "suggestions (it may be empty).",
    "9. reason is one sentence saying why the day looks as it does.",
    "10. Use only the equipment the profile lists.",
  ].join("\n");
}

function systemMessage(stage: 1 | 2, task: string, profile: Profile, targets: Targets): string {
  return [
    `You plan training and nutrition. Stage ${stage} of 2: ${task}`,
    rules(profile, targets),
    PLAN_SHAPE,
  ].join("\n\n");
}

/** A label line and the object as compact JSON with sorted keys on the next line. */
function jsonBlock(label: string, value: JsonObject): string {
  return `${label} (json):\n${JSON.stringify(sortKeys(value))}`;
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((key) => [key, sortKeys(value[key] ?? null)]),
    );
  }
  return value;
}

function userLines(userId: string, profile: Profile, targets: Targets): string[] {
  return [
    `USER: ${userId}`,
    jsonBlock("PROFILE", profileToJson(profile)),
    jsonBlock("TARGETS", targetsToJson(targets)),
  ];
}

/** Stage 1: draft the weekly plan for this profile and these targets. */
export function stage1Messages(userId: string, profile: Profile, targets: Targets): ChatMessage[] {
  const system = systemMessage(
    1,
    "draft the user's weekly base plan as json, following the rules.",
    profile,
    targets,
  );
  const user = [...userLines(userId, profile, targets), "Write the weekly plan json now."];
  return [{ role: "system", content: system }, { role: "user", content: user.join("\n") }];
}

/** Stage 2: review the Stage 1 draft against the rules and return it corrected. */
export function stage2Messages(
  userId: string,
  profile: Profile,
  targets: Targets,
  draftPlan: JsonObject,
): ChatMessage[] {
  const system = systemMessage(
    2,
    "review the draft weekly plan, correct every rule it breaks, and return the whole " +
      "corrected plan as json.",
    profile,
    targets,
  );
  const user = [
    ...userLines(userId, profile, targets),
    jsonBlock("DRAFT PLAN", draftPlan),
    "Return the corrected weekly plan json now.",
  ];
  return [{ role: "system", content: system }, { role: "user", content: user.join("\n") }];
}
