/**
 * Destroying the veth pairs CNI DEL retired (common/pod-veth.ts), for the agent's IPAM check.
 * Through iproute2 (common/host/run-program.ts), in `netns` when set (tests, demo). The pod routes
 * and a freed pod's host veth, which petrelctl reads and removes too: common/host/pod-routes.ts.
 */
import { statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { runIp } from "../../../common/host/run-program.ts";
import { retiredPairsDue, retiredStampName, retiredVethGroup } from "../../../common/pod-veth.ts";

/**
 * Destroys the pairs CNI DEL retired (common/pod-veth.ts) once the oldest has waited
 * retiredVethReapAfterMs, so one lingers at most that long plus one IPAM check period even when
 * no DEL runs after it and its netns stays (docs/cni-plugin.md, "DEL"). Unlinking the stamp first
 * claims the reap, as a reaping DEL does. Returns whether it reaped.
 */
export async function reapRetiredPairs(netns: string | undefined, stateDir: string, now = Date.now()): Promise<boolean> {
  const stamp = join(stateDir, retiredStampName);
  let since: number;
  try {
    since = statSync(stamp).mtimeMs;
  } catch {
    return false; // nothing retired since the last reap
  }
  if (!retiredPairsDue(since, now)) return false;
  try {
    unlinkSync(stamp);
  } catch {
    return false; // a DEL is reaping
  }
  const r = await runIp(netns, ["link", "del", "group", String(retiredVethGroup)]);
  // Nothing in the group: their netns went away and took them along.
  if (r.code !== 0 && !/Cannot find device|No such device/.test(r.err)) throw new Error(`ip link del group ${retiredVethGroup} failed (${r.code}): ${r.err.trim()}`);
  return true;
}
