/** Removes secrets (API keys, bearer tokens, JWTs) from text before it reaches a message or a log. */

export const REDACTED = "[redacted]";

const SECRET_PATTERNS: readonly RegExp[] = [
  // "Authorization: Bearer <token>" and a bare "Bearer <token>"
  /\bbearer\s+[^\s,;"']+/gi,
  // OpenAI/DeepSeek-style keys
  /\bsk-[A-Za-z0-9_\-]{6,}/g,
  // JWTs: header.payload(.signature); Supabase's anon and service keys are JWTs
  /\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?/g,
  // masked key fragments that upstream errors echo, e.g. "****cd15"
  /\*{2,}[A-Za-z0-9_\-]+/g,
];

/**
 * `text` with every given secret and every secret-shaped token replaced by `[redacted]`.
 *
 * `secrets` are literal values (the configured keys) removed wherever they occur; blank
 * ones are ignored. The patterns then catch bearer tokens, `sk-` keys, JWTs and masked
 * key fragments the caller does not know.
 */
export function redact(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    const literal = secret?.trim();
    if (literal) result = result.replaceAll(literal, REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) {
    result = result.replace(pattern, REDACTED);
  }
  return result;
}
