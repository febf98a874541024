import assert from "node:assert/strict";
import { AttemptDeadline } from "../_shared/deadline.ts";
import { codeForStatus, DeepSeekClient } from "../_shared/deepseek.ts";
import { PipelineError } from "../_shared/errors.ts";
import type { ChatMessage } from "../_shared/prompts.ts";
import {
  answerOnceThenDrop,
  completion,
  deepseekSettings,
  keepAliveStall,
  recordingLogger,
  silentServer,
  startStub,
  type Stub,
} from "./fixtures.ts";

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "Stage 1 of 2: answer in json" },
  { role: "user", content: "USER: 00000000-0000-0000-0000-000000000001" },
];
const MARGIN_MS = 400;

async function withStub(
  handle: (request: Request, index: number) => Response | Promise<Response>,
  run: (stub: Stub) => Promise<void>,
): Promise<void> {
  const stub = startStub(handle);
  try {
    await run(stub);
  } finally {
    await stub.close();
  }
}

/** One chat call under a fresh deadline; the error it fails with, or its completion. */
async function chat(
  stub: Stub,
  overrides: Parameters<typeof deepseekSettings>[1] = {},
): Promise<{ error: PipelineError | null; requests: number; ms: number }> {
  const settings = deepseekSettings(stub.url, overrides);
  const deadline = new AttemptDeadline(settings.attemptTimeoutMs);
  const client = new DeepSeekClient(settings, recordingLogger().log);
  const started = performance.now();
  try {
    const answer = await client.chat(MESSAGES, 1, deadline);
    return { error: null, requests: answer.requests, ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    return { error, requests: stub.paths.length, ms: performance.now() - started };
  } finally {
    client.close();
    deadline.dispose();
  }
}

Deno.test("a completion is read, in JSON mode, with the key as a bearer token", async () => {
  await withStub(async (request) => {
    const body = await request.json();
    assert.equal(request.headers.get("authorization"), "Bearer sk-test-key-0123456789");
    assert.deepEqual(body.response_format, { type: "json_object" });
    assert.equal(body.stream, false);
    return completion('{"days": {}}');
  }, async (stub) => {
    const result = await chat(stub);
    assert.equal(result.error, null);
    assert.equal(result.requests, 1);
    assert.deepEqual(stub.paths, ["/chat/completions"]);
  });
});

Deno.test("429 with Retry-After is repeated after the asked wait, then succeeds", async () => {
  await withStub(
    (_request, index) =>
      index === 1
        ? new Response("busy", { status: 429, headers: { "Retry-After": "0.2" } })
        : completion("{}"),
    async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error, null);
      assert.equal(result.requests, 2);
      assert.ok(result.ms >= 190, `waited only ${result.ms} ms`);
    },
  );
});

Deno.test("429 on every request ends as AI_RATE_LIMIT after 1 + DEEPSEEK_IN_CALL_RETRIES requests", async () => {
  await withStub(
    () =>
      new Response(JSON.stringify({ error: { message: "Rate limit reached" } }), { status: 429 }),
    async (stub) => {
      const result = await chat(stub, { inCallRetries: 2 });
      assert.equal(result.error?.code, "AI_RATE_LIMIT");
      assert.equal(result.error?.retryable, true);
      assert.equal(result.requests, 3);
      assert.match(result.error?.message ?? "", /HTTP 429 .*after 3 requests: Rate limit reached/);
    },
  );
});

Deno.test("a Retry-After longer than the time left fails at once instead of sleeping into a timeout", async () => {
  await withStub(
    () => new Response("{}", { status: 429, headers: { "retry-after-ms": "5000" } }),
    async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error?.code, "AI_RATE_LIMIT");
      assert.equal(result.requests, 1);
      assert.ok(result.ms < 1000, `took ${result.ms} ms`);
      assert.match(result.error?.message ?? "", /retry wait of 5000 ms does not fit/);
      assert.equal(result.error?.retryAfterMs, 5000, "the asked wait is passed on to the queue");
    },
  );
});

Deno.test("503 is repeated and ends as AI_UPSTREAM_ERROR; 500 is not repeated", async () => {
  await withStub(
    () => new Response("", { status: 503, headers: { "retry-after-ms": "10" } }),
    async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error?.code, "AI_UPSTREAM_ERROR");
      assert.equal(result.requests, 3);
    },
  );
  await withStub(() => new Response("", { status: 500 }), async (stub) => {
    const result = await chat(stub);
    assert.equal(result.error?.code, "AI_UPSTREAM_ERROR");
    assert.equal(result.requests, 1);
    assert.equal(result.error?.retryAfterMs, null);
  });
});

Deno.test("402 is AI_QUOTA_EXCEEDED and 401 CONFIG_ERROR, neither retryable; the key never shows", async () => {
  await withStub(
    () =>
      new Response(JSON.stringify({ error: { message: "Insufficient Balance" } }), { status: 402 }),
    async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error?.code, "AI_QUOTA_EXCEEDED");
      assert.equal(result.error?.retryable, false);
    },
  );
  await withStub(
    () =>
      new Response(
        JSON.stringify({
          error: {
            message:
              "Authentication Fails, Your api key: sk-test-key-0123456789 / ****6789 is invalid",
          },
        }),
        { status: 401 },
      ),
    async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error?.code, "CONFIG_ERROR");
      assert.equal(result.error?.retryable, false);
      assert.ok(!result.error?.message.includes("0123456789"), result.error?.message);
      assert.ok(!result.error?.message.includes("6789"), result.error?.message);
      assert.match(result.error?.message ?? "", /check DEEPSEEK_API_KEY/);
    },
  );
});

Deno.test("status codes map to the documented error codes", () => {
  const codes = [400, 401, 402, 403, 404, 422, 429, 500, 502, 503, 302].map((status) =>
    codeForStatus(status)[0]
  );
  assert.deepEqual(codes, [
    "CONFIG_ERROR",
    "CONFIG_ERROR",
    "AI_QUOTA_EXCEEDED",
    "CONFIG_ERROR",
    "CONFIG_ERROR",
    "CONFIG_ERROR",
    "AI_RATE_LIMIT",
    "AI_UPSTREAM_ERROR",
    "AI_UPSTREAM_ERROR",
    "AI_UPSTREAM_ERROR",
    "UNEXPECTED_ERROR",
  ]);
});

Deno.test("broken 200 answers are AI_UPSTREAM_ERROR; blank content is left to JSON extraction", async () => {
  const bodies: Array<[string, RegExp]> = [
    ["", /empty body/],
    ["\n\n\n\n", /blank body \(4 bytes of whitespace\)/],
    ['{"id": "x", "choi', /not JSON/],
    ['{"id": "x"}', /no choices\[0\]\.message/],
    ['{"error": {"message": "overloaded"}}', /with an error: overloaded/],
  ];
  for (const [body, expected] of bodies) {
    await withStub(() => new Response(body, { status: 200 }), async (stub) => {
      const result = await chat(stub);
      assert.equal(result.error?.code, "AI_UPSTREAM_ERROR", body);
      assert.match(result.error?.message ?? "", expected);
    });
  }
  await withStub(() => completion("   "), async (stub) => {
    assert.equal((await chat(stub)).error, null);
  });
});

Deno.test("a call that never answers is aborted at DEEPSEEK_CALL_TIMEOUT_MS as AI_TIMEOUT", async () => {
  const stub = silentServer("hang");
  try {
    const result = await chat(stub, { callTimeoutMs: 300, attemptTimeoutMs: 5000 });
    assert.equal(result.error?.code, "AI_TIMEOUT");
    assert.match(
      result.error?.message ?? "",
      /per-call limit DEEPSEEK_CALL_TIMEOUT_MS=300 ms reached; no response bytes/,
    );
    assert.ok(result.ms < 300 + MARGIN_MS, `took ${result.ms} ms`);
  } finally {
    await stub.close();
  }
});

Deno.test("keep-alive blank lines do not extend the attempt deadline: the body read is aborted", async () => {
  await withStub(() => keepAliveStall(20), async (stub) => {
    const result = await chat(stub, { attemptTimeoutMs: 400, callTimeoutMs: 5000 });
    assert.equal(result.error?.code, "AI_TIMEOUT");
    assert.match(
      result.error?.message ?? "",
      /attempt deadline INTERNAL_TIMEOUT_MS=400 ms reached; only \d+ bytes of keep-alive/,
    );
    assert.ok(result.ms < 400 + MARGIN_MS, `took ${result.ms} ms`);
  });
});

Deno.test("a dropped connection is AI_UPSTREAM_ERROR", async () => {
  const stub = silentServer("drop");
  try {
    const result = await chat(stub);
    assert.equal(result.error?.code, "AI_UPSTREAM_ERROR");
    assert.match(result.error?.message ?? "", /stage 1 call failed .*connection closed/);
  } finally {
    await stub.close();
  }
});

Deno.test("a connection dropped after a kept-alive one is one failed request, never a silent repeat", async () => {
  const envelope = JSON.stringify({
    choices: [{ message: { content: "{}" }, finish_reason: "stop" }],
  });
  const stub = answerOnceThenDrop(envelope);
  const settings = deepseekSettings(stub.url);
  const client = new DeepSeekClient(settings, recordingLogger().log);
  const deadline = new AttemptDeadline(settings.attemptTimeoutMs);
  try {
    assert.equal((await client.chat(MESSAGES, 1, deadline)).content, "{}");
    await assert.rejects(
      client.chat(MESSAGES, 2, deadline),
      (error: unknown) => error instanceof PipelineError && error.code === "AI_UPSTREAM_ERROR",
    );
    assert.equal(
      stub.paths.length,
      2,
      "the dropped request was sent again behind the client's back",
    );
  } finally {
    client.close();
    deadline.dispose();
    await stub.close();
  }
});

Deno.test("a missing API key is CONFIG_ERROR without any request", async () => {
  await withStub(() => completion("{}"), async (stub) => {
    const result = await chat(stub, { apiKey: null });
    assert.equal(result.error?.code, "CONFIG_ERROR");
    assert.match(result.error?.message ?? "", /DEEPSEEK_API_KEY is not set/);
    assert.equal(stub.paths.length, 0);
  });
});
