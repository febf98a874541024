/**
 * Structured JSON logs: one object per line, with `jobId`, `status`, `retry_count` and
 * `error_code` on every job transition, and never a secret.
 *
 * Every string that reaches a line (the message and each field, however deep) passes
 * through redaction with the function's own keys, so a key quoted by an upstream error
 * cannot leak through a log.
 */

import type { JsonValue } from "./json.ts";
import { redact } from "./redaction.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Extra fields of a log line; `undefined` values are left out. */
export type LogFields = Readonly<Record<string, JsonValue | undefined>>;

/** Where finished lines go; the default writes by level through `console`. */
export type LogSink = (level: LogLevel, line: string) => void;

/** The platform's log collector reads stdout and stderr; the level picks the console method. */
export function consoleSink(level: LogLevel, line: string): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** The fields of a job row a transition line carries. */
export interface JobSnapshot {
  readonly id: string;
  readonly status: string;
  readonly retry_count: number | null;
  readonly error_code: string | null;
}

export interface LoggerOptions {
  readonly secrets?: readonly (string | null | undefined)[];
  readonly sink?: LogSink;
  readonly minLevel?: LogLevel;
  readonly now?: () => Date;
}

/** A logger named after its function, redacting the secrets it was given. */
export class JsonLogger {
  readonly #name: string;
  readonly #secrets: readonly (string | null | undefined)[];
  readonly #sink: LogSink;
  readonly #minLevel: LogLevel;
  readonly #now: () => Date;

  constructor(name: string, options: LoggerOptions = {}) {
    this.#name = name;
    this.#secrets = options.secrets ?? [];
    this.#sink = options.sink ?? consoleSink;
    this.#minLevel = options.minLevel ?? "info";
    this.#now = options.now ?? (() => new Date());
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.#minLevel]) return;
    const entry: Record<string, JsonValue> = {
      time: this.#now().toISOString(),
      level,
      logger: this.#name,
      message: this.#redact(message),
    };
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) entry[key] = this.#redactValue(value);
    }
    this.#sink(level, JSON.stringify(entry));
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  /** A job's transition, with the four fields every transition carries. */
  transition(event: string, job: JobSnapshot, fields: LogFields = {}): void {
    this.info(event, {
      event,
      jobId: job.id,
      status: job.status,
      retry_count: job.retry_count,
      error_code: job.error_code,
      ...fields,
    });
  }

  #redact(text: string): string {
    return redact(text, this.#secrets);
  }

  #redactValue(value: JsonValue): JsonValue {
    if (typeof value === "string") return this.#redact(value);
    if (Array.isArray(value)) return value.map((entry) => this.#redactValue(entry));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, entry]) => [key, this.#redactValue(entry)]),
      );
    }
    return value;
  }
}

/** The text of an unknown thrown value: `Name: message`, or its string form. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message || "no detail"}`;
  return String(error);
}
