/**
 * The functions' HTTP edges: JSON responses, the error body `{error, error_code, details?}`
 * (supabase-js reads `error`), and reading a JSON object body under the size limit.
 */

import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/** The codes a function answers with (docs/decisions.md S5), besides the attempt codes. */
export type FunctionErrorCode =
  | "AUTH_REQUIRED"
  | "FORBIDDEN"
  | "INVALID_REQUEST"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "REGENERATION_TOO_SOON"
  | "CONFIG_ERROR"
  | "UNEXPECTED_ERROR";

/** One refused request field: its dotted path (`profile.mealCount`) and what is wrong. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function jsonResponse(body: JsonValue, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** `{"error": message, "error_code": code, ...extra}` with the given status. */
export function errorResponse(
  status: number,
  code: FunctionErrorCode,
  message: string,
  extra: JsonObject = {},
): Response {
  return jsonResponse({ error: message, error_code: code, ...extra }, status);
}

/** 400 `INVALID_REQUEST` naming every bad field in `details: [{field, message}]`. */
export function invalidRequest(errors: readonly FieldError[]): Response {
  const summary = errors.map((error) => `${error.field} ${error.message}`).join("; ");
  const details = errors.map((error) => ({ field: error.field, message: error.message }));
  return errorResponse(400, "INVALID_REQUEST", `invalid request: ${summary}`, { details });
}

/** 405 for anything but POST. */
export function methodNotAllowed(method: string): Response {
  const response = errorResponse(
    405,
    "METHOD_NOT_ALLOWED",
    `${method} is not allowed; this function takes POST`,
  );
  response.headers.set("Allow", "POST");
  return response;
}

export type BodyResult =
  | { readonly ok: true; readonly body: JsonObject }
  | { readonly ok: false; readonly response: Response };

/**
 * The request body as a JSON object, or the response refusing it: 413 over `limitBytes`
 * (by `Content-Length` or while reading), 400 naming `body` when it is not a JSON
 * object. With `allowEmpty`, a blank body is `{}`.
 */
export async function readJsonObject(
  request: Request,
  options: { readonly limitBytes: number; readonly allowEmpty: boolean },
): Promise<BodyResult> {
  const { limitBytes, allowEmpty } = options;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    return { ok: false, response: tooLarge(`${declared} bytes`, limitBytes) };
  }
  const bytes = await readLimited(request, limitBytes);
  if (bytes === null) {
    return { ok: false, response: tooLarge(`more than ${limitBytes} bytes`, limitBytes) };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuseBody("is not valid UTF-8");
  }
  if (text.trim() === "") {
    return allowEmpty ? { ok: true, body: {} } : refuseBody("is not valid JSON: the body is empty");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return refuseBody(
      `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isJsonObject(parsed)) return refuseBody("must be a JSON object");
  return { ok: true, body: parsed };
}

async function readLimited(request: Request, limitBytes: number): Promise<Uint8Array | null> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(told: string, limitBytes: number): Response {
  return errorResponse(
    413,
    "PAYLOAD_TOO_LARGE",
    `request body is ${told}; the limit is ${limitBytes} bytes`,
  );
}

function refuseBody(message: string): BodyResult {
  return { ok: false, response: invalidRequest([{ field: "body", message }]) };
}
