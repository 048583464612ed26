import type { IpAddress, IpFamily } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { AllocationStore, NodeBlocks } from "../ports.ts";
import { sameOwner, type Allocation, type Owner } from "./allocation.ts";
import { blockUsage, chooseAddress } from "./allocator.ts";

export type { Owner };

function exhausted(family: IpFamily, nodeBlocks: NodeBlocks, taken: IpAddress[]): CniError {
  const usage = blockUsage(nodeBlocks.blocks.filter((b) => b.family === family), taken)
    .map((u) => `${u.block} (${u.used} of ${u.capacity} in use)`).join(", ");
  const msg = `no free IPv${family} address on this node: every block is full: ${usage}`;
  return nodeBlocks.pinned
    ? new CniError(CniCode.ipamExhausted, msg, {
      details: "add blocks to ipam.blocks in the network config, or delete pods that are gone",
    })
    : new CniError(CniCode.tryAgainLater, msg, {
      kind: "transient",
      details: `blocks come from ${nodeBlocks.source}; the Petrel controller gives the node another block when its usage passes the high-water mark; check 'kubectl get ippools' for pool capacity`,
    });
}

/**
 * Reserves one address per family present in the node's blocks for `owner`; the caller holds the
 * node's alloc lock and read `nodeBlocks` under it. An owner that already holds addresses (a
 * retried ADD) gets the same ones back. Records outside the node's current blocks (a block taken
 * back) still hold their address: they are never handed out again from here.
 */
export function reserveAddresses(
  store: AllocationStore,
  nodeBlocks: NodeBlocks,
  owner: Omit<Allocation, "address">,
): IpAddress[] {
  const families = [...new Set(nodeBlocks.blocks.map((b) => b.family))].sort();
  // Temporaries of killed processes are ignored by list(); GC sweeps them, not the ADD path.
  const records = store.list();
  const mine = records.filter((r) => sameOwner(r, owner)).map((r) => r.address);
  const out: IpAddress[] = [];
  for (const family of families) {
    const held = mine.find((a) => a.family === family);
    if (held !== undefined) {
      out.push(held);
      continue;
    }
    const inFamily = records.filter((r) => r.address.family === family).map((r) => r.address);
    const taken = new Set(inFamily.map((a) => a.value));
    for (;;) {
      const addr = chooseAddress(nodeBlocks.blocks, family, taken, store.lastReserved(family));
      if (addr === undefined) {
        for (const a of out) if (!mine.includes(a)) store.release(a);
        throw exhausted(family, nodeBlocks, inFamily);
      }
      if (store.tryReserve({ ...owner, address: addr })) {
        store.setLastReserved(addr);
        out.push(addr);
        break;
      }
      // A record we could not read (a stray entry) or one made since we listed: try the next address.
      taken.add(addr.value);
    }
  }
  return out;
}
