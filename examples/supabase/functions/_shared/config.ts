/**
 * The functions' settings from the environment: what the Supabase platform gives every
 * function, the queue's thresholds and the DeepSeek settings, with the names and defaults
 * of the Python reference (docs/decisions.md P2, S4).
 *
 * Blank values keep the defaults. A malformed value is a `SettingsError` naming the
 * variable, never quoting a secret. A missing `DEEPSEEK_API_KEY` is not an error here:
 * each attempt then fails with `CONFIG_ERROR` on its job, without a network call.
 */

/** Reads one environment variable; `Deno.env.get` in the functions, a map in tests. */
export type EnvReader = (name: string) => string | undefined;

/** The running function's environment. */
export function denoEnv(name: string): string | undefined {
  return Deno.env.get(name);
}

/** A reader over a plain object (tests, scripts). */
export function envFrom(values: Readonly<Record<string, string>>): EnvReader {
  return (name) => values[name];
}

/** A setting is missing or malformed; the message names the variable. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/** What the platform sets for every function. */
export interface PlatformSettings {
  readonly supabaseUrl: string;
  /** Used as the `apikey` when asking Auth who a token belongs to; optional. */
  readonly anonKey: string | null;
  readonly serviceRoleKey: string;
}

/** How jobs are created and worked. */
export interface QueueSettings {
  /** Total attempts a job gets (`max_retries` of new jobs). */
  readonly maxRetries: number;
  readonly stuckAfterMs: number;
  readonly stalePendingAfterMs: number;
  readonly regenerationCooldownMs: number;
  /**
   * The wait before a retry (docs/contract.md, backoff): the n-th retry waits between
   * min(base * 2^(n-1), cap / 2) and min(base * 2^n, cap). Passed to `fail_plan_job` and
   * stuck recovery.
   */
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  /** Attempts in flight at once in one function instance, and the `maxJobs` default. */
  readonly workerConcurrency: number;
  /** Where create-plan-job sends its wake-up call; null when switched off. */
  readonly processQueueUrl: string | null;
  readonly maxBodyBytes: number;
}

/** How one attempt talks to DeepSeek and how long it may take. */
export interface DeepSeekSettings {
  readonly apiKey: string | null;
  readonly baseUrl: string;
  readonly model: string;
  /** The whole attempt: both stages, in-call retries and their waits. */
  readonly attemptTimeoutMs: number;
  /** One HTTP request to DeepSeek, body included. */
  readonly callTimeoutMs: number;
  readonly maxTokens: number;
  /** Repeats of one call after a 429 or 503. */
  readonly inCallRetries: number;
  /** First wait before a repeat when the answer has no Retry-After; doubles each time. */
  readonly retryBackoffMs: number;
}

export type LogLevelSetting = "debug" | "info" | "warn" | "error";

export const DEFAULT_DEEPSEEK_BASE_URL = "https://api.deepseek.com";
export const DEFAULT_DEEPSEEK_MODEL = "deepseek-chat";
export const MAX_BODY_BYTES = 64 * 1024;
/** `PROCESS_PLAN_QUEUE_URL` value that switches the wake-up call off. */
export const TRIGGER_OFF = "off";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The platform's variables; `SUPABASE_URL` and `SUPABASE_SERVICE_ROLE_KEY` are required. */
export function loadPlatformSettings(env: EnvReader): PlatformSettings {
  const supabaseUrl = required(env, "SUPABASE_URL");
  checkHttpUrl("SUPABASE_URL", supabaseUrl);
  return {
    supabaseUrl: supabaseUrl.replace(/\/+$/, ""),
    anonKey: optional(env, "SUPABASE_ANON_KEY"),
    serviceRoleKey: required(env, "SUPABASE_SERVICE_ROLE_KEY"),
  };
}

/** The queue's settings; `supabaseUrl` gives the default wake-up address. */
export function loadQueueSettings(env: EnvReader, supabaseUrl: string): QueueSettings {
  const trigger = optional(env, "PROCESS_PLAN_QUEUE_URL");
  let processQueueUrl: string | null = `${supabaseUrl}/functions/v1/process-plan-queue`;
  if (trigger !== null && trigger.toLowerCase() === TRIGGER_OFF) {
    processQueueUrl = null;
  } else if (trigger !== null) {
    checkHttpUrl("PROCESS_PLAN_QUEUE_URL", trigger);
    processQueueUrl = trigger;
  }
  const retryBaseMs = wholeNumber(env, "PLAN_JOB_RETRY_BASE_MS", 10_000, 1, DAY_MS);
  const retryCapMs = wholeNumber(env, "PLAN_JOB_RETRY_CAP_MS", 10 * 60 * 1000, 1, DAY_MS);
  if (retryCapMs < retryBaseMs) {
    throw new SettingsError(
      `PLAN_JOB_RETRY_CAP_MS (${retryCapMs}) must not be shorter than ` +
        `PLAN_JOB_RETRY_BASE_MS (${retryBaseMs})`,
    );
  }
  return {
    maxRetries: wholeNumber(env, "PLAN_JOB_MAX_RETRIES", 3, 1, 20),
    stuckAfterMs: wholeNumber(env, "STUCK_AFTER_MS", 10 * 60 * 1000, 1),
    stalePendingAfterMs: wholeNumber(env, "STALE_PENDING_AFTER_MS", 30 * 60 * 1000, 1),
    regenerationCooldownMs: wholeNumber(env, "REGENERATION_COOLDOWN_MS", 14 * DAY_MS, 0),
    retryBaseMs,
    retryCapMs,
    workerConcurrency: wholeNumber(env, "WORKER_CONCURRENCY", 10, 1, 500),
    processQueueUrl,
    maxBodyBytes: MAX_BODY_BYTES,
  };
}

/** The DeepSeek settings of one attempt. */
export function loadDeepSeekSettings(env: EnvReader): DeepSeekSettings {
  const baseUrl = optional(env, "DEEPSEEK_BASE_URL") ?? DEFAULT_DEEPSEEK_BASE_URL;
  checkBaseUrl(baseUrl);
  return {
    apiKey: optional(env, "DEEPSEEK_API_KEY"),
    baseUrl,
    model: optional(env, "DEEPSEEK_MODEL") ?? DEFAULT_DEEPSEEK_MODEL,
    attemptTimeoutMs: wholeNumber(env, "INTERNAL_TIMEOUT_MS", 140_000, 1, 3_600_000),
    callTimeoutMs: wholeNumber(env, "DEEPSEEK_CALL_TIMEOUT_MS", 120_000, 1, 3_600_000),
    maxTokens: wholeNumber(env, "DEEPSEEK_MAX_TOKENS", 8192, 1, 65_536),
    inCallRetries: wholeNumber(env, "DEEPSEEK_IN_CALL_RETRIES", 2, 0, 10),
    retryBackoffMs: wholeNumber(env, "DEEPSEEK_RETRY_BACKOFF_MS", 500, 0, 600_000),
  };
}

/** Values no log line or message may contain: the keys and the database URL (it holds a password). */
export function secretValues(env: EnvReader): string[] {
  return ["SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "DEEPSEEK_API_KEY", "SUPABASE_DB_URL"]
    .map((name) => optional(env, name))
    .filter((value): value is string => value !== null);
}

const LOG_LEVELS: Readonly<Record<string, LogLevelSetting>> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  WARN: "warn",
  ERROR: "error",
};

/** `LOG_LEVEL`: DEBUG, INFO (default), WARNING or ERROR. */
export function loadLogLevel(env: EnvReader): LogLevelSetting {
  const raw = optional(env, "LOG_LEVEL");
  if (raw === null) return "info";
  const level = LOG_LEVELS[raw.toUpperCase()];
  if (level === undefined) {
    throw new SettingsError(
      `LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got ${JSON.stringify(raw)}`,
    );
  }
  return level;
}

function optional(env: EnvReader, name: string): string | null {
  const value = env(name)?.trim();
  return value ? value : null;
}

function required(env: EnvReader, name: string): string {
  const value = optional(env, name);
  if (value === null) throw new SettingsError(`${name} is required`);
  return value;
}

function wholeNumber(
  env: EnvReader,
  name: string,
  fallback: number,
  low: number,
  high: number = Number.MAX_SAFE_INTEGER,
): number {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new SettingsError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < low || value > high) {
    const range = high === Number.MAX_SAFE_INTEGER ? `at least ${low}` : `from ${low} to ${high}`;
    throw new SettingsError(`${name} must be ${range}, got ${raw}`);
  }
  return value;
}

function checkHttpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.username || url.password) throw new SettingsError(`${name} must not contain credentials`);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new SettingsError(
      `${name} must be an http(s) URL with a host, got ${JSON.stringify(value)}`,
    );
  }
  return url;
}

function checkBaseUrl(baseUrl: string): void {
  const url = checkHttpUrl("DEEPSEEK_BASE_URL", baseUrl);
  if (url.search || url.hash) {
    throw new SettingsError(
      `DEEPSEEK_BASE_URL must not have a query or fragment, got ${JSON.stringify(baseUrl)}`,
    );
  }
}
