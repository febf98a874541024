/**
 * Turns the model's message content into the plan's JSON object, or says why it cannot
 * (docs/decisions.md P5).
 *
 * Recovery is deliberately narrow. Content that is one JSON object is taken as is.
 * Otherwise (a code fence, prose around the object) the text is scanned for top-level
 * objects, and the object is taken only when there is exactly one and every `{` outside
 * it is accounted for. A `{` that does not start a complete object (a truncated plan, a
 * syntax error) stops recovery, since guessing could pick an inner fragment such as a
 * single day. `finish_reason: "length"` fails first, whatever the content.
 */

import { PipelineError } from "./errors.ts";
import { isJsonObject, jsonKind, type JsonObject } from "./json.ts";

export function extractJsonObject(content: string | null, finishReason: string | null): JsonObject {
  if (finishReason === "length") {
    throw parseError(
      "model output truncated: finish_reason 'length' (max_tokens reached) after " +
        `${(content ?? "").length} characters`,
    );
  }
  if (content === null) throw parseError("model content is null");
  if (content.trim() === "") {
    throw parseError(`model content is blank (${content.length} whitespace characters)`);
  }
  let whole: unknown;
  try {
    whole = JSON.parse(content);
  } catch (error) {
    return recoverEmbeddedObject(content, syntaxMessage(error), finishReason);
  }
  if (!isJsonObject(whole)) {
    throw parseError(`content is ${jsonKind(whole)} in JSON, not an object`);
  }
  return whole;
}

function recoverEmbeddedObject(
  text: string,
  wholeError: string,
  finishReason: string | null,
): JsonObject {
  const found: JsonObject[] = [];
  let position = text.indexOf("{");
  while (position !== -1) {
    const end = objectEnd(text, position);
    let value: unknown = undefined;
    let problem = "the object is not closed before the content ends";
    if (end !== -1) {
      try {
        value = JSON.parse(text.slice(position, end));
      } catch (error) {
        problem = syntaxMessage(error);
      }
    }
    if (!isJsonObject(value)) {
      throw parseError(
        `content is not JSON (${wholeError}) and the object starting at char ${position} ` +
          `is not valid JSON either (${problem})${finishNote(finishReason)}`,
      );
    }
    found.push(value);
    position = text.indexOf("{", end);
  }
  const [only] = found;
  if (found.length === 1 && only !== undefined) return only;
  if (found.length === 0) {
    throw parseError(
      `content is not JSON (${wholeError}) and contains no JSON object${finishNote(finishReason)}`,
    );
  }
  throw parseError(
    `content is not JSON (${wholeError}) and contains ${found.length} separate JSON objects; ` +
      "cannot tell which one is the plan",
  );
}

/**
 * The index just past the `}` that closes the object opening at `start`, skipping braces
 * inside strings; -1 when the text ends first.
 */
export function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{" || char === "[") {
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

function syntaxMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function finishNote(finishReason: string | null): string {
  if (finishReason === null || finishReason === "stop") return "";
  return `; finish_reason was ${JSON.stringify(finishReason)}`;
}

function parseError(message: string): PipelineError {
  return new PipelineError("JSON_PARSE_ERROR", message);
}
