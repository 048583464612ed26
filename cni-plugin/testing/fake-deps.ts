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
  veths: Set<string>;
  calls: string[];
  lockHeld: () => boolean;
  failWireWith: Error | undefined;
}

export function fakeWorld(blocks: string[], pinned = true): FakeWorld {
  const records = new Map<string, Allocation>();
  const veths = new Set<string>();
  const calls: string[] = [];
  let held = false;
  const last = new Map<number, IpAddress>();
  const world: FakeWorld = {
    records, veths, calls, lockHeld: () => held, failWireWith: undefined,
    deps: {
      store: {
        list: () => [...records.values()],
        tryReserve: (a) => {
          const key = recordName(a.address);
          if (records.has(key)) return false;
          records.set(key, a);
          calls.push(`reserve ${key}`);
          return true;
        },
        release: (a) => {
          records.delete(recordName(a));
          calls.push(`release ${recordName(a)}`);
        },
        lastReserved: (f) => last.get(f),
        setLastReserved: (a) => last.set(a.family, a),
        removeTemporaries: () => undefined,
        sync: () => calls.push("sync"),
      },
      lock: {
        acquire: () => {
          if (held) throw new Error("lock acquired twice");
          held = true;
          calls.push("lock");
          return () => {
            held = false;
            calls.push("unlock");
          };
        },
      },
      blocks: { current: () => ({ blocks: blocks.map((b) => parseCidr(b)), pinned, source: pinned ? "ipam.blocks" : "/state/blocks.json" }) },
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
