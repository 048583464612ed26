/**
 * In-memory stand-ins for the plugin's host edges, for unit tests of the commands' logic
 * (ordering, rollback, idempotency). The real edges are tested on real namespaces in test/cni.
 */
import { parseCidr, type IpAddress } from "../../common/cidr.ts";
import { recordName, type Allocation } from "../ipam/allocation.ts";
import type { PodWiring } from "../pod-wiring.ts";
import type { PluginDeps } from "../ports.ts";

export interface FakeWorld {
  deps: PluginDeps;
  records: Map<string, Allocation>;
  /** Record name → when it was reserved (the fake's clock, `now`). */
  reservedAt: Map<string, number>;
  veths: Set<string>;
  calls: string[];
  /** True while any lock is held. */
  lockHeld: () => boolean;
  failWireWith: Error | undefined;
  /** The clock the fake store stamps reservations with. */
  now: number;
}

export function fakeWorld(blocks: string[], pinned = true): FakeWorld {
  const records = new Map<string, Allocation>();
  const veths = new Set<string>();
  const calls: string[] = [];
  const held = new Map<string, string>();
  const last = new Map<number, IpAddress>();
  const reservedAt = new Map<string, number>();
  const world: FakeWorld = {
    records, reservedAt, veths, calls, lockHeld: () => held.size > 0, failWireWith: undefined, now: 0,
    deps: {
      store: {
        list: () => [...records.values()].map((r) => ({ ...r, format: 2 as const })),
        strays: () => [],
        tryReserve: (a) => {
          const key = recordName(a.address);
          if (records.has(key)) return false;
          records.set(key, a);
          reservedAt.set(key, world.now);
          calls.push(`reserve ${key}`);
          return true;
        },
        release: (a) => {
          records.delete(recordName(a));
          reservedAt.delete(recordName(a));
          calls.push(`release ${recordName(a)}`);
        },
        reservedAt: (a) => reservedAt.get(recordName(a)),
        needsMigration: () => false,
        migrate: () => 0,
        lastReserved: (f) => last.get(f),
        setLastReserved: (a) => last.set(a.family, a),
        removeTemporaries: () => undefined,
        sync: () => calls.push("sync"),
      },
      lock: {
        acquire: (name, mode) => {
          if (held.has(name)) throw new Error(`lock ${name} acquired twice`);
          if (name === "alloc" && held.has("gate")) throw new Error("lock order: alloc after gate");
          held.set(name, mode);
          calls.push(`lock ${name} ${mode}`);
          return () => {
            held.delete(name);
            calls.push(`unlock ${name}`);
          };
        },
      },
      blocks: {
        current: () => {
          calls.push("blocks");
          return { blocks: blocks.map((b) => parseCidr(b)), pinned, source: pinned ? "ipam.blocks" : "/state/blocks.json" };
        },
      },
      dataplane: {
        isNetns: (p) => p.startsWith("/var/run/netns/"),
        wire: (w: PodWiring) => {
          calls.push(`wire ${w.hostVeth}`);
          veths.add(w.hostVeth);
          if (world.failWireWith !== undefined) throw world.failWireWith;
        },
        unwire: (v) => {
          calls.push(`unwire ${v}`);
          veths.delete(v);
        },
        inspect: (w) => (veths.has(w.hostVeth) ? [] : [`host veth ${w.hostVeth} is missing`]),
      },
      log: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
    },
  };
  return world;
}
