import { cidrSize, containsAddress } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { PluginDeps } from "../ports.ts";

/**
 * STATUS (spec 1.1.0): ready when the node has blocks and a free address in them. Without blocks
 * the plugin cannot serve ADD (code 50); the runtime then reports the node's network not ready,
 * as it does while the agent has not yet written the node's blocks. Only records inside the
 * node's current blocks count: records left in a block the node no longer holds (drained, taken
 * back) use none of its addresses.
 */
export function cmdStatus(deps: PluginDeps): void {
  let nodeBlocks;
  try {
    nodeBlocks = deps.blocks.current();
  } catch (err) {
    throw new CniError(CniCode.pluginNotAvailable, `petrel cannot serve ADD: ${errorMessage(err)}`, {
      details: err instanceof CniError ? err.details : undefined,
      cause: err,
    });
  }
  const records = deps.store.list();
  const free = nodeBlocks.blocks.some((b) => BigInt(records.filter((r) => containsAddress(b, r.address)).length) < cidrSize(b));
  if (!free) {
    const capacity = nodeBlocks.blocks.reduce((n, b) => n + cidrSize(b), 0n);
    throw new CniError(CniCode.pluginNotAvailable, `petrel cannot serve ADD: all ${capacity} addresses of the node's blocks are in use`, {
      details: nodeBlocks.pinned ? "add blocks to ipam.blocks" : "the controller adds a block when usage passes the high-water mark",
    });
  }
}
