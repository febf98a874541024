/**
 * Whether a food name breaks a dietary preference (docs/decisions.md D3): a meat, fish,
 * seafood or egg word as a whole word, case-insensitive, a plural `s` allowed.
 * Eggitarian allows the egg words; Non-veg allows everything.
 */

import type { DietaryPreference } from "./profile.ts";

// deno-fmt-ignore
const MEAT_WORDS = [
  "meat", "chicken", "beef", "pork", "mutton", "lamb", "veal", "venison", "turkey", "duck",
  "goose", "bacon", "ham", "sausage", "salami", "pepperoni", "prosciutto", "chorizo", "sirloin",
  "brisket", "jerky", "meatball", "pastrami",
];
// deno-fmt-ignore
const FISH_WORDS = [
  "fish", "salmon", "tuna", "cod", "tilapia", "sardine", "mackerel", "trout", "anchovy",
  "anchovies", "herring", "halibut", "haddock", "pomfret", "basa", "catfish", "snapper",
  "swordfish", "surimi", "rohu", "hilsa",
];
// deno-fmt-ignore
const SEAFOOD_WORDS = [
  "seafood", "shrimp", "prawn", "crab", "lobster", "oyster", "mussel", "clam", "squid",
  "calamari", "octopus", "scallop", "crayfish",
];
const EGG_WORDS = ["egg", "omelette", "omelet", "frittata", "yolk", "shakshuka"];

const FORBIDDEN_WORDS: Readonly<Record<DietaryPreference, ReadonlySet<string>>> = {
  Vegetarian: new Set([...MEAT_WORDS, ...FISH_WORDS, ...SEAFOOD_WORDS, ...EGG_WORDS]),
  Eggitarian: new Set([...MEAT_WORDS, ...FISH_WORDS, ...SEAFOOD_WORDS]),
  "Non-veg": new Set(),
};

/** The forbidden word found in `food` (singular form), or null when the diet allows it. */
export function dietViolation(food: string, preference: DietaryPreference): string | null {
  const forbidden = FORBIDDEN_WORDS[preference];
  if (forbidden.size === 0) return null;
  for (const word of food.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (forbidden.has(word)) return word;
    if (word.endsWith("s") && forbidden.has(word.slice(0, -1))) return word.slice(0, -1);
  }
  return null;
}
