/**
 * When passes run (kube-router style, level-triggered): soon after any watch event (debounced, so
 * a burst of 200 Node joins is one or a few passes), on a periodic full resync, when a grace
 * period or rate limit ends, and with backoff after a pass that failed. Never two at once.
 */
import { errorMessage } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** What a pass tells the loop. */
export interface LoopPassResult {
  /** Every step succeeded (otherwise the loop retries with backoff). */
  readonly clean: boolean;
  /** Something changed that the same pass could not finish: run again soon. */
  readonly again?: boolean;
  /** Run again after this long (a grace period or rate limit ends). */
  readonly wakeAfterMs?: number | undefined;
}

export interface LoopOptions {
  /** Wait after an event before a pass, to batch bursts. */
  readonly debounceMs: number;
  /** Full pass at least this often, events or not. */
  readonly resyncMs: number;
  /** Backoff after a failed pass: starts here and doubles up to `maxBackoffMs`. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const defaultLoopOptions: LoopOptions = { debounceMs: 50, resyncMs: 60_000, minBackoffMs: 500, maxBackoffMs: 30_000 };

export class ReconcileLoop {
  readonly #runPass: () => Promise<LoopPassResult>;
  readonly #options: LoopOptions;
  readonly #log: Logger;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #resync: ReturnType<typeof setInterval> | undefined;
  #running = false;
  #dirty = false;
  #stopped = true;
  #backoffMs = 0;
  /** Time of the last pass in which every write succeeded (for /readyz). */
  lastCleanPassAt: number | undefined;
  passes = 0;
  #idle: (() => void)[] = [];

  constructor(runPass: () => Promise<LoopPassResult>, log: Logger, options: LoopOptions = defaultLoopOptions) {
    this.#runPass = runPass;
    this.#log = log;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.#resync = setInterval(() => this.trigger(), this.#options.resyncMs);
    this.trigger(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#resync !== undefined) clearInterval(this.#resync);
    this.#timer = undefined;
    if (this.#running) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Asks for a pass after `delayMs` (default: the debounce); an earlier request wins. */
  trigger(delayMs = this.#options.debounceMs): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    const at = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => void this.#pass(), delayMs);
  }

  async #pass(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#running = true;
    this.#dirty = false;
    let next: number | undefined;
    try {
      const r = await this.#runPass();
      this.passes++;
      if (r.clean) {
        this.lastCleanPassAt = Date.now();
        this.#backoffMs = 0;
      } else {
        this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, this.#options.minBackoffMs), this.#options.maxBackoffMs);
        next = this.#backoffMs;
      }
      if (r.again) next = Math.min(next ?? Infinity, this.#options.debounceMs);
      if (r.wakeAfterMs !== undefined) next = Math.min(next ?? Infinity, r.wakeAfterMs);
    } catch (err) {
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, this.#options.minBackoffMs), this.#options.maxBackoffMs);
      next = this.#backoffMs;
      this.#log.error("reconcile pass failed", { error: errorMessage(err), retryInMs: next });
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
    if (this.#dirty) this.trigger();
    if (next !== undefined) this.trigger(next);
  }
}
