/**
 * The edges the plugin's commands need, declared here by their user. Implementations that touch
 * the host live in `host/`; unit tests pass in-memory ones.
 */
import type { Cidr, IpAddress } from "../common/cidr.ts";
import type { Allocation } from "./ipam/allocation.ts";
import type { PodWiring } from "./pod-wiring.ts";

export interface AllocationStore {
  list(): Allocation[];
  /** Reserves the address for the owner atomically; false when the address is already taken. */
  tryReserve(allocation: Allocation): boolean;
  release(address: IpAddress): void;
  lastReserved(family: 4 | 6): IpAddress | undefined;
  setLastReserved(address: IpAddress): void;
  /** Removes leftovers of processes killed mid-write; call with the lock held. */
  removeTemporaries(): void;
  /** Makes earlier reservations and releases durable. */
  sync(): void;
}

export interface NodeLock {
  /** Blocks until the lock is held; returns the release function. */
  acquire(): () => void;
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

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

export interface PluginDeps {
  store: AllocationStore;
  lock: NodeLock;
  blocks: BlockSource;
  dataplane: PodDataplane;
  log: Logger;
}
