/**
 * The CNI plugin's side of the node's kernel, as the agent's IPAM check needs it: the pod routes
 * (the plugin's route protocol, common/route-protocols.ts) and removing a freed pod's host veth.
 * Through iproute2, in `netns` when set (tests, demo).
 */
import { execFile } from "node:child_process";
import { podRouteProtocol } from "../../common/route-protocols.ts";

function ip(netns: string | undefined, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const argv = [...(netns === undefined ? [] : ["-n", netns]), ...args];
  return new Promise((resolve) => {
    execFile("ip", argv, { encoding: "utf8" }, (error, out, err) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, out, err });
    });
  });
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
