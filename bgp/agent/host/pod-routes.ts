/**
 * The CNI plugin's side of the node's kernel, as the agent's IPAM check needs it: the pod routes
 * (the plugin's route protocol, common/route-protocols.ts), removing a freed pod's host veth, and
 * destroying the pairs DEL retired.
 * Through iproute2, in `netns` when set (tests, demo).
 */
import { statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { retiredPairsDue, retiredStampName, retiredVethGroup } from "../../../common/pod-veth.ts";
import { podRouteProtocol } from "../../../common/route-protocols.ts";
import { runProgram, type ProgramResult } from "./run-program.ts";

function ip(netns: string | undefined, args: readonly string[]): Promise<ProgramResult> {
  const argv = [...(netns === undefined ? [] : ["-n", netns]), ...args];
  return runProgram("ip", argv, { what: `ip ${argv.slice(0, 6).join(" ")}`, hint: "is iproute2 installed?" });
}

export async function listPodRoutes(netns: string | undefined): Promise<string[]> {
  const all: string[] = [];
  for (const family of ["-4", "-6"]) {
    const r = await ip(netns, [family, "-j", "route", "show", "proto", String(podRouteProtocol)]);
    if (r.code !== 0) throw new Error(`ip ${family} route show proto ${podRouteProtocol} failed (${r.code}): ${r.err.trim()}`);
    const routes = (r.out.trim() === "" ? [] : JSON.parse(r.out)) as Array<{ dst?: string }>;
    all.push(...routes.flatMap((x) => (x.dst === undefined ? [] : [x.dst])));
  }
  return all;
}

/** Deletes a host veth (and with it its peer and routes); a missing one is success. */
export async function deleteLink(netns: string | undefined, name: string): Promise<void> {
  const r = await ip(netns, ["link", "del", "dev", name]);
  if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.err)) throw new Error(`ip link del ${name} failed (${r.code}): ${r.err.trim()}`);
}

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
  const r = await ip(netns, ["link", "del", "group", String(retiredVethGroup)]);
  // Nothing in the group: their netns went away and took them along.
  if (r.code !== 0 && !/Cannot find device|No such device/.test(r.err)) throw new Error(`ip link del group ${retiredVethGroup} failed (${r.code}): ${r.err.trim()}`);
  return true;
}
