/**
 * How long a 429/503 answer asks the caller to wait: `retry-after-ms` first (milliseconds),
 * then `Retry-After` as seconds (a fraction is accepted) or as an HTTP date.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
/** The three HTTP date forms all start with a day name ("Sun, 06 Nov 1994 ..."). */
const HTTP_DATE = /^[A-Za-z]{3,9},?\s/;

/**
 * The requested wait in milliseconds, or null when no usable header is present. Negative
 * and unparsable values are ignored; a date in the past means no wait.
 */
export function retryAfterMs(headers: Headers, now: Date): number | null {
  const milliseconds = nonNegativeNumber(headers.get("retry-after-ms"));
  if (milliseconds !== null) return milliseconds;
  const raw = headers.get("retry-after");
  if (raw === null) return null;
  const seconds = nonNegativeNumber(raw);
  if (seconds !== null) return seconds * 1000;
  if (!HTTP_DATE.test(raw.trim())) return null;
  const when = Date.parse(raw.trim());
  if (Number.isNaN(when)) return null;
  return Math.max(0, when - now.getTime());
}

function nonNegativeNumber(raw: string | null): number | null {
  if (raw === null) return null;
  const text = raw.trim();
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}
