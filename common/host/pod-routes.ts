/**
 * The CNI plugin's side of a node's kernel, as the agent's IPAM check and petrelctl's
 * `ipam check` read and repair it: the pod routes (the plugin's route protocol,
 * common/route-protocols.ts) and a freed pod's host veth (its name: common/pod-veth.ts).
 * Through iproute2 (run-program.ts), in `netns` when set (tests, demo).
 */
import { podRouteProtocol } from "../route-protocols.ts";
import { runIp } from "./run-program.ts";

/** Destinations of the pod routes (IPv4 and IPv6), as `ip -j` prints them. */
export async function listPodRoutes(netns: string | undefined): Promise<string[]> {
  const all: string[] = [];
  for (const family of ["-4", "-6"]) {
    const r = await runIp(netns, [family, "-j", "route", "show", "proto", String(podRouteProtocol)]);
    if (r.code !== 0) throw new Error(`ip ${family} route show proto ${podRouteProtocol} failed (${r.code}): ${r.err.trim()}`);
    const routes = (r.out.trim() === "" ? [] : JSON.parse(r.out)) as Array<{ dst?: string }>;
    all.push(...routes.flatMap((x) => (x.dst === undefined ? [] : [x.dst])));
  }
  return all;
}

/** Deletes a host veth (and with it its peer and routes); a missing one is success. */
export async function deleteHostVeth(netns: string | undefined, name: string): Promise<void> {
  const r = await runIp(netns, ["link", "del", "dev", name]);
  if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.err)) throw new Error(`ip link del ${name} failed (${r.code}): ${r.err.trim()}`);
}
