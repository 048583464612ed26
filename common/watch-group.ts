/**
 * The lifecycle a program's set of watch caches shares (the controller's on WatchCache, the
 * agent's on ResourceWatch, both in common/host/): start them together, stop them together, synced
 * once every one has listed, restarts summed for the metrics. What each cache holds and how a
 * snapshot is made of them stays with its program.
 */

/** What the group needs of one cache (common/host/watch-cache.ts and resource-watch.ts have it). */
export interface GroupedCache {
  /** Resolves after the first list attempt; the cache keeps retrying on its own. */
  start(): Promise<void>;
  stop(): void | Promise<void>;
  readonly synced: boolean;
  /** Times its watch was restarted after an error. */
  readonly restarts: number;
}

export interface NamedCache {
  /** How a readiness message names it, e.g. "own IPAMBlocks". */
  readonly name: string;
  readonly cache: GroupedCache;
}

export class WatchGroup {
  readonly #caches: readonly NamedCache[];

  constructor(caches: readonly NamedCache[]) {
    this.#caches = caches;
  }

  /** Starts every cache at once; resolves when each has made its first list attempt. */
  async start(): Promise<void> {
    await Promise.all(this.#caches.map((c) => c.cache.start()));
  }

  /** Stops every cache at once (a cache whose stop is synchronous has stopped on return). */
  async stop(): Promise<void> {
    await Promise.all(this.#caches.map((c) => c.cache.stop()));
  }

  /** True once every cache has listed. */
  synced(): boolean {
    return this.#caches.every((c) => c.cache.synced);
  }

  /** The names of the caches that have not listed yet (for readiness messages). */
  unsynced(): string[] {
    return this.#caches.filter((c) => !c.cache.synced).map((c) => c.name);
  }

  /** Watch restarts after errors, summed over the caches. */
  get restarts(): number {
    return this.#caches.reduce((n, c) => n + c.cache.restarts, 0);
  }
}
