/** The seven day keys of a weekly plan (Monday first) and what makes a day a rest day. */

export const DAY_NAMES = [
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
] as const;

export type DayName = typeof DAY_NAMES[number];

/** A rest day's `workout.focus`, compared case-insensitively after trimming. */
export const REST_FOCUS = "rest";

export function isDayName(name: string): name is DayName {
  return (DAY_NAMES as readonly string[]).includes(name);
}

/** Whether a workout focus names a rest day. */
export function isRestFocus(focus: unknown): boolean {
  return typeof focus === "string" && focus.trim().toLowerCase() === REST_FOCUS;
}
