import assert from "node:assert/strict";
import { PipelineError } from "../_shared/errors.ts";
import { extractJsonObject } from "../_shared/json_extract.ts";

const PLAN = '{"days": {"monday": {"reason": "a {brace} in a string", "n": [1, {"x": 2}]}}}';

function parseFailure(content: string | null, finishReason: string | null = "stop"): string {
  try {
    extractJsonObject(content, finishReason);
  } catch (error) {
    assert.ok(error instanceof PipelineError);
    assert.equal(error.code, "JSON_PARSE_ERROR");
    return error.message;
  }
  throw new Error("expected JSON_PARSE_ERROR");
}

Deno.test("content that is one JSON object is used as is", () => {
  assert.deepEqual(extractJsonObject(PLAN, "stop"), JSON.parse(PLAN));
});

Deno.test("a fenced or prose-wrapped object is recovered", () => {
  const expected = JSON.parse(PLAN);
  assert.deepEqual(extractJsonObject("```json\n" + PLAN + "\n```", "stop"), expected);
  assert.deepEqual(
    extractJsonObject(`Here is your plan:\n${PLAN}\nEnjoy the week!`, "stop"),
    expected,
  );
});

Deno.test("finish_reason length fails first, whatever the content", () => {
  assert.match(parseFailure(PLAN, "length"), /truncated: finish_reason 'length'/);
});

Deno.test("null, empty and blank content fail", () => {
  assert.match(parseFailure(null), /null/);
  assert.match(parseFailure(""), /blank/);
  assert.match(parseFailure("   \n  "), /blank \(6 whitespace characters\)/);
});

Deno.test("a truncated object is not recovered through an inner fragment", () => {
  const truncated = "```json\n" + PLAN.slice(0, 40);
  assert.match(parseFailure(truncated), /char 8 is not valid JSON either/);
});

Deno.test("prose without an object, or with two objects, fails", () => {
  assert.match(parseFailure("I cannot help with that."), /contains no JSON object/);
  assert.match(parseFailure('first {"a": 1} then {"b": 2}'), /2 separate JSON objects/);
  assert.match(parseFailure("a {broken} object"), /not valid JSON either/);
});

Deno.test("JSON that is not an object fails naming its kind", () => {
  assert.match(parseFailure("[1, 2]"), /an array in JSON, not an object/);
  assert.match(parseFailure('"text"'), /a string in JSON/);
});
