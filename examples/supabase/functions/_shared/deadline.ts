/**
 * The attempt's deadline: a budget from `INTERNAL_TIMEOUT_MS`, an `AbortSignal` that fires
 * when it is spent, and per-call signals that fire at
 * `min(DEEPSEEK_CALL_TIMEOUT_MS, time left)`. The timers are absolute: bytes arriving on a
 * connection (DeepSeek's keep-alive blank lines) never push them back.
 */

/** Why a signal fired: one of the two limits, or an abort that is not ours. */
export type AbortCause = "attempt_deadline" | "call_timeout" | "cancelled";

/** An abort reason that says which limit fired. */
export class DeadlineAbort extends Error {
  override readonly name = "DeadlineAbort";
  readonly limit: AbortCause;

  constructor(limit: AbortCause, message: string) {
    super(message);
    this.limit = limit;
  }
}

/** The reason a signal fired with, when it is one of ours. */
export function abortCause(signal: AbortSignal): AbortCause | null {
  if (!signal.aborted) return null;
  return signal.reason instanceof DeadlineAbort ? signal.reason.limit : "cancelled";
}

/** A budget of `budgetMs` started now; `dispose()` clears its timer. */
export class AttemptDeadline {
  readonly budgetMs: number;
  readonly signal: AbortSignal;
  readonly #startedAt: number;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(budgetMs: number) {
    this.budgetMs = budgetMs;
    this.#startedAt = performance.now();
    this.signal = this.#controller.signal;
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new DeadlineAbort("attempt_deadline", `attempt deadline of ${budgetMs} ms reached`),
      );
    }, budgetMs);
  }

  /** Whole milliseconds since the attempt started. */
  elapsedMs(): number {
    return Math.floor(performance.now() - this.#startedAt);
  }

  /** Milliseconds left, never negative (0 once the signal has fired). */
  remainingMs(): number {
    if (this.signal.aborted) return 0;
    return Math.max(0, this.budgetMs - (performance.now() - this.#startedAt));
  }

  /**
   * A signal for one HTTP call: fires at `limitMs` from now when that comes before the
   * attempt's deadline (cause `call_timeout`), else with the attempt's (`attempt_deadline`).
   */
  callSignal(limitMs: number): CallSignal {
    return new CallSignal(this.signal, limitMs < this.remainingMs() ? limitMs : null);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** One call's signal; `dispose()` clears its timer and its link to the attempt. */
export class CallSignal {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #attempt: AbortSignal;
  readonly #onAttemptAbort = (): void => {
    this.#controller.abort(this.#attempt.reason);
  };

  constructor(attempt: AbortSignal, limitMs: number | null) {
    this.#attempt = attempt;
    this.signal = this.#controller.signal;
    if (limitMs !== null) {
      this.#timer = setTimeout(() => {
        this.#controller.abort(
          new DeadlineAbort("call_timeout", `call limit of ${limitMs} ms reached`),
        );
      }, limitMs);
    }
    if (attempt.aborted) this.#onAttemptAbort();
    else attempt.addEventListener("abort", this.#onAttemptAbort, { once: true });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#attempt.removeEventListener("abort", this.#onAttemptAbort);
  }
}

/** Wait `ms`, or reject with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
