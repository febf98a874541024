/**
 * Attempt slots: at most `WORKER_CONCURRENCY` attempts in flight in one function instance,
 * over all its invocations. A job is claimed only once a slot is free, so no attempt's
 * deadline runs while it waits for one.
 */

export class Slots {
  readonly size: number;
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.size = size;
    this.#free = size;
  }

  /** Slots free right now. */
  get free(): number {
    return this.#free;
  }

  /** Wait for a slot and take it. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Give a slot back, to the longest waiter if there is one. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free = Math.min(this.size, this.#free + 1);
  }
}
