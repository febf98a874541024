import assert from "node:assert/strict";
import {
  envFrom,
  loadDeepSeekSettings,
  loadLogLevel,
  loadPlatformSettings,
  loadQueueSettings,
  secretValues,
  SettingsError,
} from "../_shared/config.ts";

const PLATFORM = {
  SUPABASE_URL: "http://127.0.0.1:54321/",
  SUPABASE_ANON_KEY: "anon-key",
  SUPABASE_SERVICE_ROLE_KEY: "service-key",
};

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    return error.message;
  }
  throw new Error("expected a SettingsError");
}

Deno.test("defaults are the Python reference's", () => {
  const deepseek = loadDeepSeekSettings(envFrom({}));
  assert.deepEqual(deepseek, {
    apiKey: null,
    baseUrl: "https://api.deepseek.com",
    model: "deepseek-chat",
    attemptTimeoutMs: 140_000,
    callTimeoutMs: 120_000,
    maxTokens: 8192,
    inCallRetries: 2,
    retryBackoffMs: 500,
  });
  const queue = loadQueueSettings(envFrom({}), "http://127.0.0.1:54321");
  assert.deepEqual(queue, {
    maxRetries: 3,
    stuckAfterMs: 600_000,
    stalePendingAfterMs: 1_800_000,
    regenerationCooldownMs: 14 * 24 * 3600 * 1000,
    retryBaseMs: 10_000,
    retryCapMs: 600_000,
    workerConcurrency: 10,
    processQueueUrl: "http://127.0.0.1:54321/functions/v1/process-plan-queue",
    maxBodyBytes: 65536,
  });
  assert.equal(loadLogLevel(envFrom({})), "info");
});

Deno.test("values are read, blank ones keep the default", () => {
  const deepseek = loadDeepSeekSettings(envFrom({
    DEEPSEEK_API_KEY: " sk-abc ",
    INTERNAL_TIMEOUT_MS: "1500",
    DEEPSEEK_CALL_TIMEOUT_MS: "  ",
    DEEPSEEK_IN_CALL_RETRIES: "0",
  }));
  assert.equal(deepseek.apiKey, "sk-abc");
  assert.equal(deepseek.attemptTimeoutMs, 1500);
  assert.equal(deepseek.callTimeoutMs, 120_000);
  assert.equal(deepseek.inCallRetries, 0);
  assert.equal(loadDeepSeekSettings(envFrom({ DEEPSEEK_API_KEY: "   " })).apiKey, null);
  const queue = loadQueueSettings(
    envFrom({ PLAN_JOB_RETRY_BASE_MS: "50", PLAN_JOB_RETRY_CAP_MS: "400" }),
    "http://x",
  );
  assert.deepEqual([queue.retryBaseMs, queue.retryCapMs], [50, 400]);
});

Deno.test("malformed values are refused naming the variable", () => {
  assert.match(
    refusal(() => loadDeepSeekSettings(envFrom({ INTERNAL_TIMEOUT_MS: "soon" }))),
    /^INTERNAL_TIMEOUT_MS must be a whole number/,
  );
  assert.match(
    refusal(() => loadDeepSeekSettings(envFrom({ DEEPSEEK_IN_CALL_RETRIES: "11" }))),
    /^DEEPSEEK_IN_CALL_RETRIES must be from 0 to 10/,
  );
  assert.match(
    refusal(() => loadDeepSeekSettings(envFrom({ DEEPSEEK_BASE_URL: "ftp://x" }))),
    /^DEEPSEEK_BASE_URL must be an http\(s\) URL/,
  );
  assert.match(
    refusal(() => loadDeepSeekSettings(envFrom({ DEEPSEEK_BASE_URL: "https://a.b/v1?x=1" }))),
    /query or fragment/,
  );
  assert.match(
    refusal(() => loadQueueSettings(envFrom({ PLAN_JOB_MAX_RETRIES: "0" }), "http://x")),
    /^PLAN_JOB_MAX_RETRIES must be from 1 to 20/,
  );
  assert.match(
    refusal(() => loadQueueSettings(envFrom({ STUCK_AFTER_MS: "0" }), "http://x")),
    /^STUCK_AFTER_MS must be at least 1/,
  );
  assert.match(
    refusal(() => loadQueueSettings(envFrom({ PLAN_JOB_RETRY_BASE_MS: "0" }), "http://x")),
    /^PLAN_JOB_RETRY_BASE_MS must be from 1 to 86400000/,
  );
  assert.match(
    refusal(() =>
      loadQueueSettings(
        envFrom({ PLAN_JOB_RETRY_BASE_MS: "5000", PLAN_JOB_RETRY_CAP_MS: "1000" }),
        "http://x",
      )
    ),
    /^PLAN_JOB_RETRY_CAP_MS \(1000\) must not be shorter than PLAN_JOB_RETRY_BASE_MS/,
  );
  assert.match(refusal(() => loadLogLevel(envFrom({ LOG_LEVEL: "loud" }))), /^LOG_LEVEL/);
});

Deno.test("credentials in a URL are refused without quoting them", () => {
  const message = refusal(() =>
    loadDeepSeekSettings(envFrom({ DEEPSEEK_BASE_URL: "https://user:hunter22@x.y" }))
  );
  assert.equal(message, "DEEPSEEK_BASE_URL must not contain credentials");
});

Deno.test("the platform's URL and service key are required; the anon key is optional", () => {
  assert.equal(refusal(() => loadPlatformSettings(envFrom({}))), "SUPABASE_URL is required");
  assert.equal(
    refusal(() => loadPlatformSettings(envFrom({ SUPABASE_URL: "http://x" }))),
    "SUPABASE_SERVICE_ROLE_KEY is required",
  );
  assert.deepEqual(loadPlatformSettings(envFrom(PLATFORM)), {
    supabaseUrl: "http://127.0.0.1:54321",
    anonKey: "anon-key",
    serviceRoleKey: "service-key",
  });
});

Deno.test("PROCESS_PLAN_QUEUE_URL moves or switches off the wake-up call", () => {
  assert.equal(
    loadQueueSettings(envFrom({ PROCESS_PLAN_QUEUE_URL: "off" }), "http://x").processQueueUrl,
    null,
  );
  assert.equal(
    loadQueueSettings(envFrom({ PROCESS_PLAN_QUEUE_URL: "http://127.0.0.1:9/p" }), "http://x")
      .processQueueUrl,
    "http://127.0.0.1:9/p",
  );
});

Deno.test("the secrets to redact are the keys and the database URL that are set", () => {
  assert.deepEqual(
    secretValues(
      envFrom({ ...PLATFORM, SUPABASE_DB_URL: "postgres://u:p@h/db", DEEPSEEK_API_KEY: "" }),
    ),
    ["service-key", "anon-key", "postgres://u:p@h/db"],
  );
});
