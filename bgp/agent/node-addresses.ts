/**
 * The BGP address of every node, with a memory: a Node that still exists but briefly reports no
 * InternalIP (a kubelet restarting, a cloud provider's address sync) keeps its last address for a
 * grace period, so its peer and the routes to its blocks stay in place instead of flapping. A
 * Node that is deleted is forgotten at once (its sessions and routes go, as they should).
 * Pure: the caller passes the time.
 */
import type { NodeView } from "./cluster-view.ts";

export interface RememberedAddress {
  readonly address: string;
  /** When the Node stopped reporting it; undefined while it reports it. */
  readonly missingSince: number | undefined;
}

export class NodeAddressBook {
  readonly #graceMs: number;
  readonly #book = new Map<string, RememberedAddress>();

  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /**
   * Takes the Nodes as they are now; returns the names whose effective address changed (a new
   * node, a new address, an address forgotten after the grace period, a deleted node).
   */
  update(nodes: readonly NodeView[], now: number): Set<string> {
    const changed = new Set<string>();
    const present = new Set<string>();
    for (const n of nodes) {
      present.add(n.name);
      const had = this.#book.get(n.name);
      if (n.address !== undefined) {
        if (had?.address !== n.address) changed.add(n.name);
        if (had?.address !== n.address || had.missingSince !== undefined) this.#book.set(n.name, { address: n.address, missingSince: undefined });
        continue;
      }
      if (had === undefined) continue;
      const since = had.missingSince ?? now;
      if (now - since >= this.#graceMs) {
        this.#book.delete(n.name);
        changed.add(n.name);
      } else if (had.missingSince === undefined) {
        this.#book.set(n.name, { address: had.address, missingSince: now });
      }
    }
    for (const name of [...this.#book.keys()]) {
      if (present.has(name)) continue;
      this.#book.delete(name);
      changed.add(name);
    }
    return changed;
  }

  /** The address to use for `node`: its InternalIP, or the remembered one during the grace period. */
  address(node: string): string | undefined {
    return this.#book.get(node)?.address;
  }

  /** Nodes currently running on a remembered address, with the time left before it is forgotten. */
  remembered(now: number): { node: string; address: string; forgetInMs: number }[] {
    const out: { node: string; address: string; forgetInMs: number }[] = [];
    for (const [node, r] of this.#book) {
      if (r.missingSince !== undefined) out.push({ node, address: r.address, forgetInMs: Math.max(0, this.#graceMs - (now - r.missingSince)) });
    }
    return out;
  }

  /** Every node with an effective address. */
  entries(): IterableIterator<[string, RememberedAddress]> {
    return this.#book.entries();
  }

  /** Effective addresses as a NodeView list, for the pure planners. */
  apply(nodes: readonly NodeView[]): NodeView[] {
    return nodes.map((n) => {
      const address = this.address(n.name);
      return address === n.address ? n : { ...n, address };
    });
  }
}
