/**
 * Every IPAMBlock of the cluster by CIDR, as route trust and the import policy need it: who owns
 * it, and per owner the valid blocks (inside their pool at its block size). Kept up to date one
 * block at a time from the metadata watch; each change says which owners it affects, so only
 * their prefix sets and routes are looked at again. Pure.
 */
import type { AddressFamily } from "../gobgp/types.ts";
import type { RouteBounds } from "./cidr-bounds.ts";
import { familyOf, type OwnerBlocks } from "./import-policy.ts";
import { blockProblem, type BlockOwner } from "./route-trust.ts";

export class BlockIndex {
  readonly #all = new Map<string, BlockOwner>();
  /** Valid blocks by owner and family (the import policy's prefix sets, kept live). */
  readonly #valid = new Map<string, Map<AddressFamily, Set<string>>>();
  readonly #byOwner = new Map<string, Set<string>>();
  #bounds: RouteBounds;

  constructor(bounds: RouteBounds) {
    this.#bounds = bounds;
  }

  /** Every block (valid or not) by CIDR: route trust's view. */
  get all(): ReadonlyMap<string, BlockOwner> {
    return this.#all;
  }

  get size(): number {
    return this.#all.size;
  }

  /** A block appeared or changed; returns the owners affected (old and new). */
  upsert(prefix: string, owner: BlockOwner): string[] {
    const had = this.#all.get(prefix);
    if (had !== undefined && had.node === owner.node && had.pool === owner.pool) return [];
    const affected = had !== undefined ? this.#drop(prefix, had) : [];
    this.#all.set(prefix, owner);
    add(this.#byOwner, owner.node, prefix);
    if (blockProblem(owner, this.#bounds) === undefined) addValid(this.#valid, owner.node, prefix);
    return [...new Set([...affected, owner.node])];
  }

  /** A block went; returns its owner (or nothing when it was unknown). */
  remove(prefix: string): string[] {
    const had = this.#all.get(prefix);
    if (had === undefined) return [];
    this.#all.delete(prefix);
    return this.#drop(prefix, had);
  }

  #drop(prefix: string, had: BlockOwner): string[] {
    remove(this.#byOwner, had.node, prefix);
    removeValid(this.#valid, had.node, prefix);
    return [had.node];
  }

  /** Pools changed: every block is checked again; returns the owners whose valid blocks changed. */
  revalidate(bounds: RouteBounds): string[] {
    this.#bounds = bounds;
    const changed = new Set<string>();
    for (const [prefix, owner] of this.#all) {
      const valid = blockProblem(owner, bounds) === undefined;
      const was = this.#valid.get(owner.node)?.get(familyOf(prefix))?.has(prefix) ?? false;
      if (valid === was) continue;
      if (valid) addValid(this.#valid, owner.node, prefix);
      else removeValid(this.#valid, owner.node, prefix);
      changed.add(owner.node);
    }
    return [...changed];
  }

  /** The valid blocks of each owner by family (live sets: do not keep them across changes). */
  validByOwner(): IterableIterator<[string, OwnerBlocks]> {
    return this.#valid.entries();
  }

  /** Every block of a node, valid or not (to re-check its routes when its address changes). */
  prefixesOf(node: string): ReadonlySet<string> {
    return this.#byOwner.get(node) ?? new Set();
  }
}

function add<K>(m: Map<K, Set<string>>, key: K, value: string): void {
  let s = m.get(key);
  if (s === undefined) m.set(key, (s = new Set()));
  s.add(value);
}

function remove<K>(m: Map<K, Set<string>>, key: K, value: string): void {
  const s = m.get(key);
  if (s === undefined) return;
  s.delete(value);
  if (s.size === 0) m.delete(key);
}

function addValid(m: Map<string, Map<AddressFamily, Set<string>>>, node: string, prefix: string): void {
  let families = m.get(node);
  if (families === undefined) m.set(node, (families = new Map()));
  add(families, familyOf(prefix), prefix);
}

function removeValid(m: Map<string, Map<AddressFamily, Set<string>>>, node: string, prefix: string): void {
  const families = m.get(node);
  if (families === undefined) return;
  remove(families, familyOf(prefix), prefix);
  if (families.size === 0) m.delete(node);
}
