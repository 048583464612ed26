/**
 * Frees allocation records for `ipam check --release-from-report`, on the node, as the agent does
 * (the same edges: common/host/pod-routes.ts, common/host/allocation-records.ts): with the CNI
 * plugin's locks held (common/host/plugin-locks.ts), first the pod's host veth (a missing one is
 * fine), then the record, then fsync of the directory.
 */
import { decodeRecord } from "../../../common/allocation-record.ts";
import { removeAllocationRecord } from "../../../common/host/allocation-records.ts";
import { withPluginLocks as holdPluginLocks } from "../../../common/host/plugin-locks.ts";
import { deleteHostVeth } from "../../../common/host/pod-routes.ts";
import { hostVethName } from "../../../common/pod-veth.ts";

/** Runs `fn` with the CNI plugin's locks held (common/host/plugin-locks.ts). */
export function withPluginLocks<T>(stateDir: string, timeoutSeconds: number, fn: () => Promise<T>): Promise<T> {
  return holdPluginLocks(stateDir, timeoutSeconds, "run as root on the node, with util-linux installed", fn);
}

export async function releaseRecord(stateDir: string, address: string, target: string, netns: string | undefined): Promise<void> {
  const r = decodeRecord(address, target);
  if (r !== undefined) await deleteHostVeth(netns, hostVethName(r.network, r.containerId, r.ifname));
  // The plan was made under the same locks from a fresh listing, so the record is there.
  if (!removeAllocationRecord(stateDir, address)) throw new Error(`the allocation record of ${address} disappeared while the CNI plugin's locks were held: is another petrelctl or agent releasing without them?`);
}
