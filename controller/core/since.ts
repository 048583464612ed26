/**
 * Grace-period bookkeeping: for each condition that holds now ("node X is gone", "block Y is an
 * empty extra"), when it was first seen holding. A condition that stops holding is forgotten, so
 * its clock restarts if it comes back (hysteresis: nothing is released on a blip).
 */
export type SinceMap = ReadonlyMap<string, number>;

export class SinceTracker {
  readonly #old: SinceMap;
  readonly #now: number;
  readonly #next = new Map<string, number>();
  /** Earliest future time at which a tracked condition reaches its grace period. */
  #wakeAt = Infinity;

  constructor(old: SinceMap, now: number) {
    this.#old = old;
    this.#now = now;
  }

  /** Records that `key` holds now; true when it has held for at least `graceMs`. */
  heldFor(key: string, graceMs: number): boolean {
    const since = this.#next.get(key) ?? this.#old.get(key) ?? this.#now;
    this.#next.set(key, since);
    const due = since + graceMs;
    if (due <= this.#now) return true;
    this.#wakeAt = Math.min(this.#wakeAt, due);
    return false;
  }

  /** The map to pass to the next plan. */
  result(): SinceMap {
    return this.#next;
  }

  /** Milliseconds until the next grace period ends, or undefined when none is running. */
  wakeAfterMs(): number | undefined {
    return this.#wakeAt === Infinity ? undefined : this.#wakeAt - this.#now;
  }
}
