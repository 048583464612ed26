/**
 * The edges the plugin's commands need, declared here by their user. Implementations that touch
 * the host live in `host/`; unit tests pass in-memory ones.
 */
import type { Allocation, DecodedRecord } from "../common/allocation-record.ts";
import type { Cidr, IpAddress } from "../common/cidr.ts";
import type { Logger as CommonLogger } from "../common/log-types.ts";
import type { PodWiring } from "./pod-wiring.ts";

export interface AllocationStore {
  /** Every record (entries that are not records are skipped: see `strays`). */
  list(): DecodedRecord[];
  /** Names in the directory that look like records but are not (hand-made, corrupt). */
  strays(): string[];
  /** Reserves the address for the owner atomically; false when the address is already taken. */
  tryReserve(allocation: Allocation): boolean;
  release(address: IpAddress): void;
  /** When the address's record was made (its mtime, ms since the epoch), undefined when it has none. */
  reservedAt(address: IpAddress): number | undefined;
  /** True until the directory's records are in the current format (common/allocation-record.ts). */
  needsMigration(): boolean;
  /** Rewrites older records in the current format; call with both locks held exclusively. Returns how many. */
  migrate(): number;
  lastReserved(family: 4 | 6): IpAddress | undefined;
  setLastReserved(address: IpAddress): void;
  /** Removes leftovers of processes killed mid-write; call with the lock held. */
  removeTemporaries(): void;
  /** Makes earlier reservations and releases durable. */
  sync(): void;
}

/** "alloc": held exclusively while the node's blocks are read and addresses reserved. "gate": held shared by ADD and DEL for their whole run, exclusively by GC, the format migration and the agent's drain check. Always taken in that order. */
export type LockName = "alloc" | "gate";
export type LockMode = "shared" | "exclusive";

export interface NodeLock {
  /** Blocks until the lock is held in `mode` (or fails with code 11 at the timeout); returns the release function. */
  acquire(name: LockName, mode: LockMode): () => void;
}

export interface NodeBlocks {
  blocks: Cidr[];
  /** True when the blocks are pinned in the network config rather than handed out by the agent. */
  pinned: boolean;
  /** Where they came from, for messages. */
  source: string;
}

export interface BlockSource {
  current(): NodeBlocks;
}

export interface PodDataplane {
  /** True when `path` is a network namespace file that exists. */
  isNetns(path: string): boolean;
  /** Creates and configures the veth pair; on failure undoes what it made (`unwire` is a second try). */
  wire(wiring: PodWiring): void;
  /**
   * Takes the pair out of service at once (no route to the pod, no traffic through it, the names
   * free for a new ADD) and leaves its destruction to a later batch (docs/cni-plugin.md, "DEL").
   * A missing veth, or a device of that name that is not a Petrel veth, is success. `pod`, when
   * the caller knows it (DEL), lets the pod end be renamed too, so the netns can get a new
   * interface of that name at once (ADD renames a left-over retired end itself otherwise).
   */
  unwire(hostVeth: string, pod?: { netns: string; ifname: string }): void;
  /** Compares the kernel's state with the wiring; returns one line per difference. */
  inspect(wiring: PodWiring): string[];
}

/** The plugin's logs: the programs' logging contract (common/log-types.ts), without `child`. */
export type Logger = Omit<CommonLogger, "child">;

/** Points where a test can make the plugin wait (never set in production; docs/cni-plugin.md). */
export interface TestHooks {
  /** ADD, after the reservation and before the wiring, with the gate held shared. */
  beforeWire?(): void;
}

export interface PluginDeps {
  store: AllocationStore;
  lock: NodeLock;
  blocks: BlockSource;
  dataplane: PodDataplane;
  log: Logger;
  hooks?: TestHooks;
}
