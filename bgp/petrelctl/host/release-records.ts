/**
 * Frees allocation records for `ipam check --release-from-report`, on the node, as the agent does:
 * with the CNI plugin's locks held (common/host/plugin-locks.ts), first
 * the pod's host veth (a missing one is fine), then the record, then fsync of the directory.
 */
import { execFileSync } from "node:child_process";
import { closeSync, fsyncSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { allocationsDir, decodeRecord } from "../../../common/allocation-record.ts";
import { withPluginLocks as holdPluginLocks } from "../../../common/host/plugin-locks.ts";
import { hostVethName } from "../../../common/pod-veth.ts";
import { podRouteProtocol } from "../../../common/route-protocols.ts";

/** Runs `fn` with the CNI plugin's locks held (common/host/plugin-locks.ts). */
export function withPluginLocks<T>(stateDir: string, timeoutSeconds: number, fn: () => Promise<T>): Promise<T> {
  return holdPluginLocks(stateDir, timeoutSeconds, "run as root on the node, with util-linux installed", fn);
}

export function releaseRecord(stateDir: string, address: string, target: string, netns: string | undefined): void {
  const r = decodeRecord(address, target);
  if (r !== undefined) {
    const veth = hostVethName(r.network, r.containerId, r.ifname);
    try {
      execFileSync("ip", [...(netns === undefined ? [] : ["-n", netns]), "link", "del", "dev", veth], { stdio: "pipe" });
    } catch (err) {
      const text = String((err as { stderr?: Buffer }).stderr ?? "");
      if (!/Cannot find device|does not exist/.test(text)) throw new Error(`ip link del ${veth} failed: ${text.trim()}`, { cause: err });
    }
  }
  const dir = allocationsDir(stateDir);
  unlinkSync(join(dir, address));
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Destinations of the pod routes (the plugin's protocol) in this or the named network namespace. */
export function readPodRoutes(netns: string | undefined): string[] {
  const out: string[] = [];
  for (const family of ["-4", "-6"]) {
    const text = execFileSync("ip", [...(netns === undefined ? [] : ["-n", netns]), family, "-j", "route", "show", "proto", String(podRouteProtocol)], { encoding: "utf8" });
    const routes = (text.trim() === "" ? [] : JSON.parse(text)) as Array<{ dst?: string }>;
    out.push(...routes.flatMap((x) => (x.dst === undefined ? [] : [x.dst])));
  }
  return out;
}
