/**
 * The controller's own recent writes, laid over the watch caches until the caches show them
 * (client-go calls these "expectations"). Without this, a pass that runs before the watch event
 * of a block it just created would see the node without a block and create a second one.
 * An entry is dropped as soon as the cache agrees, or after `ttlMs` (the write was lost or undone
 * by someone else; the cache is then the truth again).
 *
 * Objects are told apart by uid, not only by name: a block can be deleted and created again under
 * the same name (its CIDR) within one stale cache window. A stale cached copy is then neither the
 * confirmation of the new one nor hidden in place of it: the pending new object stands in for it
 * until the cache shows that very object (same uid).
 */
import type { IPAMBlock, PetrelNode } from "../../common/api/index.ts";
import type { ClusterState } from "../core/cluster-state.ts";

interface Pending<T> {
  readonly at: number;
  readonly object: T | undefined;
  /** For deletions: the uid of the object deleted (undefined: whatever has the name). */
  readonly uid?: string | undefined;
}

type Named = { metadata: { name: string; uid?: string } };

/** True when `cached` is the object `uid` names (an unknown uid matches whatever has the name). */
const isObject = (cached: Named, uid: string | undefined) => uid === undefined || cached.metadata.uid === undefined || cached.metadata.uid === uid;

class KindOverlay<T extends Named> {
  readonly #created = new Map<string, Pending<T>>();
  readonly #deleted = new Map<string, Pending<T>>();
  readonly #patched = new Map<string, Pending<(t: T) => T>>();

  created(object: T, now: number): void {
    this.#deleted.delete(object.metadata.name);
    this.#created.set(object.metadata.name, { at: now, object });
  }
  deleted(name: string, uid: string | undefined, now: number): void {
    this.#created.delete(name);
    this.#patched.delete(name);
    this.#deleted.set(name, { at: now, object: undefined, uid });
  }
  /** A change the cache must show before the entry is dropped (`seen` tells whether it does). */
  patched(name: string, change: (t: T) => T, now: number): void {
    this.#patched.set(name, { at: now, object: change });
  }

  apply(items: readonly T[], now: number, ttlMs: number, seen: (name: string, cached: T) => boolean): T[] {
    const expired = (p: { at: number }) => now - p.at > ttlMs;
    const byName = new Map(items.map((i) => [i.metadata.name, i]));
    for (const [name, p] of this.#created) {
      const cached = byName.get(name);
      if (expired(p) || (cached !== undefined && p.object !== undefined && isObject(cached, p.object.metadata.uid))) this.#created.delete(name);
    }
    for (const [name, p] of this.#deleted) {
      const cached = byName.get(name);
      if (expired(p) || cached === undefined || !isObject(cached, p.uid)) this.#deleted.delete(name);
    }
    for (const [name, p] of this.#patched) {
      const cached = byName.get(name);
      if (expired(p) || cached === undefined || seen(name, cached)) this.#patched.delete(name);
    }
    const out: T[] = [];
    for (const item of items) {
      // Deleted, or a stale copy of an object the controller has created again since.
      if (this.#deleted.has(item.metadata.name) || this.#created.has(item.metadata.name)) continue;
      const patch = this.#patched.get(item.metadata.name)?.object;
      out.push(patch === undefined ? item : patch(item));
    }
    for (const p of this.#created.values()) if (p.object !== undefined) out.push(p.object);
    return out;
  }

  get size(): number {
    return this.#created.size + this.#deleted.size + this.#patched.size;
  }
}

export class OwnWrites {
  readonly blocks = new KindOverlay<IPAMBlock>();
  readonly petrelNodes = new KindOverlay<PetrelNode>();
  readonly #ttlMs: number;

  constructor(ttlMs = 60_000) {
    this.#ttlMs = ttlMs;
  }

  /** The cache's state with the controller's unconfirmed writes applied. */
  apply(state: ClusterState, now: number): ClusterState {
    return {
      ...state,
      blocks: this.blocks.apply(state.blocks, now, this.#ttlMs, (_n, b) => b.spec.draining === true),
      petrelNodes: this.petrelNodes.apply(state.petrelNodes, now, this.#ttlMs, () => true),
    };
  }

  /** Writes not yet confirmed by the caches (a gauge for /metrics and the tests). */
  get pending(): number {
    return this.blocks.size + this.petrelNodes.size;
  }
}
