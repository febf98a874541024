/**
 * One DeepSeek chat call: the request, its deadlines, in-call retries and the mapping of
 * every failure to an error code (docs/decisions.md P3, P4).
 *
 * Each HTTP request gets `min(DEEPSEEK_CALL_TIMEOUT_MS, time left in the attempt)`,
 * enforced by aborting the request with an `AbortController`, body included; the blank
 * lines DeepSeek sends while a request waits for capacity cannot extend that, because the
 * timers are absolute. 429 and 503 are repeated inside the call up to
 * `DEEPSEEK_IN_CALL_RETRIES` times, waiting as `retry-after-ms` / `Retry-After` ask (else
 * `DEEPSEEK_RETRY_BACKOFF_MS`, doubling), but only when the wait ends before the attempt's
 * deadline; otherwise the call fails at once with the status's own code. The error then
 * carries the wait the answer asked for, so the queue does not schedule the next attempt
 * sooner (docs/contract.md, backoff).
 *
 * Requests go through an HTTP client that keeps no idle connections: Deno's fetch
 * silently sends a request again when a pooled connection drops before the answer, which
 * would turn one dropped call into two paid DeepSeek requests (docs/decisions.md E5).
 */

import type { DeepSeekSettings } from "./config.ts";
import { abortCause, type AttemptDeadline, sleep } from "./deadline.ts";
import { type AttemptErrorCode, PipelineError } from "./errors.ts";
import { isJsonObject, type JsonObject } from "./json.ts";
import type { JsonLogger } from "./log.ts";
import type { ChatMessage } from "./prompts.ts";
import { redact } from "./redaction.ts";
import { retryAfterMs } from "./retry_after.ts";

export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const UPSTREAM_MESSAGE_LIMIT = 200;
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** The model's answer to one call, and how many HTTP requests it took. */
export interface ChatCompletion {
  readonly content: string | null;
  readonly finishReason: string | null;
  readonly requests: number;
}

interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/** Makes chat calls to `DEEPSEEK_BASE_URL/chat/completions` in JSON mode; `close()` when done. */
export class DeepSeekClient {
  readonly #settings: DeepSeekSettings;
  readonly #log: JsonLogger;
  readonly #url: string;
  readonly #http: Deno.HttpClient | undefined = unpooledHttpClient();

  constructor(settings: DeepSeekSettings, log: JsonLogger) {
    this.#settings = settings;
    this.#log = log;
    this.#url = `${settings.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#http?.close();
  }

  /**
   * One chat call; a `PipelineError` with the failure's code otherwise. A missing API key
   * fails with `CONFIG_ERROR` before any request is sent.
   */
  async chat(
    messages: readonly ChatMessage[],
    stage: 1 | 2,
    deadline: AttemptDeadline,
  ): Promise<ChatCompletion> {
    const apiKey = this.#settings.apiKey;
    if (apiKey === null) {
      throw new PipelineError(
        "CONFIG_ERROR",
        "DEEPSEEK_API_KEY is not set; no DeepSeek call was made",
      );
    }
    const body = JSON.stringify({
      model: this.#settings.model,
      messages,
      response_format: { type: "json_object" },
      max_tokens: this.#settings.maxTokens,
      stream: false,
    });
    const headers = {
      "Authorization": `Bearer ${apiKey}`,
      "Content-Type": "application/json",
      "Accept": "application/json",
    };
    for (let request = 1;; request++) {
      const response = await this.#send(body, headers, stage, deadline);
      if (response.status === 200) return this.#completion(response, stage, request);
      if (!RETRIED_STATUSES.has(response.status) || request > this.#settings.inCallRetries) {
        throw this.#statusError(response, stage, request);
      }
      const waitMs = this.#retryWaitMs(response, request);
      const remainingMs = deadline.remainingMs();
      if (waitMs >= remainingMs) {
        throw this.#statusError(
          response,
          stage,
          request,
          `; the retry wait of ${Math.round(waitMs)} ms does not fit in the ` +
            `${Math.round(remainingMs)} ms left before the attempt deadline`,
        );
      }
      this.#log.warn(
        `DeepSeek stage ${stage} answered ${response.status}; retrying in ${Math.round(waitMs)} ms`,
        {
          stage,
          status: response.status,
          retry_in_ms: Math.round(waitMs),
        },
      );
      try {
        await sleep(waitMs, deadline.signal);
      } catch {
        throw new PipelineError(
          "AI_TIMEOUT",
          `attempt deadline INTERNAL_TIMEOUT_MS=${deadline.budgetMs} ms reached while waiting to ` +
            `repeat the DeepSeek stage ${stage} call`,
        );
      }
    }
  }

  async #send(
    body: string,
    headers: Record<string, string>,
    stage: 1 | 2,
    deadline: AttemptDeadline,
  ): Promise<RawResponse> {
    const remainingMs = deadline.remainingMs();
    if (remainingMs <= 0) {
      throw new PipelineError(
        "AI_TIMEOUT",
        `attempt deadline INTERNAL_TIMEOUT_MS=${deadline.budgetMs} ms reached before the ` +
          `DeepSeek stage ${stage} call`,
      );
    }
    const callLimitMs = this.#settings.callTimeoutMs;
    const call = deadline.callSignal(callLimitMs);
    const started = performance.now();
    let received = 0;
    let blank = true;
    try {
      const init: RequestInit & { client?: Deno.HttpClient } = {
        method: "POST",
        body,
        headers,
        signal: call.signal,
      };
      if (this.#http !== undefined) init.client = this.#http;
      const response = await fetch(this.#url, init);
      const chunks: Uint8Array[] = [];
      const reader = response.body?.getReader();
      try {
        for (;;) {
          if (reader === undefined) break;
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          blank &&= isWhitespace(value);
          if (received > MAX_RESPONSE_BYTES) {
            throw new PipelineError(
              "AI_UPSTREAM_ERROR",
              `DeepSeek stage ${stage} response exceeded ${MAX_RESPONSE_BYTES} bytes`,
            );
          }
          chunks.push(value);
        }
      } catch (error) {
        await reader?.cancel().catch(() => {});
        throw error;
      }
      return {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        body: concat(chunks, received),
      };
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      const cause = abortCause(call.signal);
      const elapsedMs = Math.round(performance.now() - started);
      if (cause === "call_timeout" || cause === "attempt_deadline") {
        const limit = cause === "call_timeout"
          ? `per-call limit DEEPSEEK_CALL_TIMEOUT_MS=${callLimitMs}`
          : `attempt deadline INTERNAL_TIMEOUT_MS=${deadline.budgetMs}`;
        throw new PipelineError(
          "AI_TIMEOUT",
          `DeepSeek stage ${stage} call aborted after ${elapsedMs} ms: ${limit} ms reached; ` +
            describeReceived(received, blank),
        );
      }
      const detail = transportFailure(error);
      throw new PipelineError(
        "AI_UPSTREAM_ERROR",
        `DeepSeek stage ${stage} call failed after ${elapsedMs} ms: ${this.#redact(detail)}`,
      );
    } finally {
      call.dispose();
    }
  }

  #retryWaitMs(response: RawResponse, request: number): number {
    const asked = askedWaitMs(response);
    if (asked !== null) return asked;
    return this.#settings.retryBackoffMs * 2 ** (request - 1);
  }

  #statusError(response: RawResponse, stage: 1 | 2, requests: number, note = ""): PipelineError {
    const [code, hint] = codeForStatus(response.status);
    const tries = requests > 1 ? ` after ${requests} requests` : "";
    const upstream = this.#upstreamMessage(response.body);
    const detail = upstream ? `: ${upstream}` : "";
    const phrase = response.statusText ? ` ${response.statusText}` : "";
    return new PipelineError(
      code,
      `DeepSeek stage ${stage} call answered HTTP ${response.status}${phrase}${tries}${detail}${hint}${note}`,
      askedWaitMs(response),
    );
  }

  /** The upstream error's message, redacted, on one line, at most 200 characters. */
  #upstreamMessage(body: Uint8Array): string {
    const text = new TextDecoder().decode(body);
    let message = text.trim();
    try {
      const document: unknown = JSON.parse(text);
      const error = isJsonObject(document) ? document.error : undefined;
      const inner = isJsonObject(error) ? error.message : error;
      message = inner === undefined || inner === null || inner === "" ? "" : String(inner).trim();
    } catch {
      // not JSON: the text itself
    }
    message = this.#redact(message).split(/\s+/).filter((part) => part).join(" ");
    if (message.length > UPSTREAM_MESSAGE_LIMIT) {
      message = `${message.slice(0, UPSTREAM_MESSAGE_LIMIT - 3)}...`;
    }
    return message;
  }

  #completion(response: RawResponse, stage: 1 | 2, requests: number): ChatCompletion {
    const upstream = (problem: string): PipelineError =>
      new PipelineError("AI_UPSTREAM_ERROR", `DeepSeek stage ${stage} answered 200 ${problem}`);
    if (response.body.byteLength === 0) throw upstream("with an empty body");
    if (isWhitespace(response.body)) {
      throw upstream(`with a blank body (${response.body.byteLength} bytes of whitespace)`);
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(response.body));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw upstream(`with a body that is not JSON (${reason})`);
    }
    const choice = firstChoice(envelope);
    if (choice === null) {
      if (isJsonObject(envelope) && envelope.error !== undefined) {
        throw upstream(`with an error: ${this.#upstreamMessage(response.body)}`);
      }
      throw upstream("with no choices[0].message in the envelope");
    }
    const content = choice.message.content ?? null;
    const finishReason = choice.finish_reason ?? null;
    if (content !== null && typeof content !== "string") {
      throw upstream("with a non-string choices[0].message.content");
    }
    if (finishReason !== null && typeof finishReason !== "string") {
      throw upstream("with a non-string choices[0].finish_reason");
    }
    if (finishReason === "insufficient_system_resource") {
      throw upstream("but stopped: finish_reason 'insufficient_system_resource'");
    }
    return { content, finishReason, requests };
  }

  #redact(text: string): string {
    return redact(text, [this.#settings.apiKey]);
  }
}

/**
 * A client without idle connections where the runtime can make one (Deno); elsewhere the
 * runtime's own fetch.
 */
function unpooledHttpClient(): Deno.HttpClient | undefined {
  if (typeof Deno.createHttpClient !== "function") return undefined;
  return Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
}

/** The error code for a DeepSeek error status, and a hint naming what to check. */
export function codeForStatus(status: number): [AttemptErrorCode, string] {
  if (status === 400 || status === 422) {
    return [
      "CONFIG_ERROR",
      "; our request was refused, check DEEPSEEK_MODEL and DEEPSEEK_MAX_TOKENS",
    ];
  }
  if (status === 401 || status === 403) return ["CONFIG_ERROR", "; check DEEPSEEK_API_KEY"];
  if (status === 404) return ["CONFIG_ERROR", "; check DEEPSEEK_BASE_URL"];
  if (status === 402) return ["AI_QUOTA_EXCEEDED", "; the DeepSeek account balance is used up"];
  if (status === 429) return ["AI_RATE_LIMIT", ""];
  if (status >= 500 && status <= 599) return ["AI_UPSTREAM_ERROR", ""];
  return ["UNEXPECTED_ERROR", ""];
}

/** The wait a 429 or 503 asks for (`retry-after-ms`, `Retry-After`); null otherwise. */
function askedWaitMs(response: RawResponse): number | null {
  if (!RETRIED_STATUSES.has(response.status)) return null;
  return retryAfterMs(response.headers, new Date());
}

function firstChoice(envelope: unknown): (JsonObject & { message: JsonObject }) | null {
  if (!isJsonObject(envelope) || !Array.isArray(envelope.choices)) return null;
  const choice = envelope.choices[0];
  if (!isJsonObject(choice) || !isJsonObject(choice.message)) return null;
  return choice as JsonObject & { message: JsonObject };
}

/** A failed fetch as text: Deno puts what happened on the wire in the error's `cause`. */
function transportFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}

function isWhitespace(bytes: Uint8Array): boolean {
  // space, tab, line feed, carriage return, vertical tab, form feed
  return bytes.every((byte) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d));
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function describeReceived(received: number, blank: boolean): string {
  if (received === 0) return "no response bytes received";
  if (blank) {
    return `only ${received} bytes of keep-alive whitespace received, which do not extend the deadline`;
  }
  return `${received} bytes received before the abort`;
}
