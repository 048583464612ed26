/**
 * What a node itself knows about one pod address, read on that node (petrelctl in the node's
 * Petrel pod, or on the host as root): the CNI plugin's allocation record in the state
 * directory, the /32 (/128) route, and the host veth the record implies. Read-only: `ip` lists.
 */
import { spawnSync } from "node:child_process";
import { readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import type { IpAddress } from "../../../common/cidr.ts";
import { allocationsDir, decodeRecordTarget } from "../../../common/allocation-record.ts";
import { InvalidInputError } from "../../../common/errors.ts";
import { hostVethName } from "../../../common/pod-veth.ts";
import type { NodeRawFacts } from "../address-report.ts";

function ipJson(args: readonly string[]): unknown[] | undefined {
  const r = spawnSync("ip", ["-j", ...args], { encoding: "utf8", timeout: 10_000 });
  if (r.error !== undefined) throw new InvalidInputError("--state-dir", `cannot run ip (${r.error.message}): the node-local lookup needs iproute2 on the node`);
  if (r.status !== 0) return undefined; // e.g. "Device does not exist"
  const text = r.stdout.trim();
  return text === "" ? [] : (JSON.parse(text) as unknown[]);
}

export function localNodeFacts(stateDir: string, node: string, address: IpAddress, addressText: string): NodeRawFacts {
  try {
    if (!statSync(stateDir).isDirectory()) throw new Error("not a directory");
  } catch (err) {
    throw new InvalidInputError("--state-dir", `cannot read ${stateDir} (${(err as Error).message}); pass the CNI plugin's state directory on this node (default /var/lib/petrel) and run petrelctl on that node`);
  }
  let record: string | undefined;
  try {
    record = readlinkSync(join(allocationsDir(stateDir), addressText));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new InvalidInputError("--state-dir", `cannot read the allocation record of ${addressText} (${(err as Error).message}); run petrelctl as root on the node`);
  }
  const family = address.family === 4 ? "-4" : "-6";
  const routes = (ipJson([family, "route", "show", "exact", `${addressText}/${address.family === 4 ? 32 : 128}`]) ?? []) as NodeRawFacts["routes"];
  let link: NodeRawFacts["link"];
  const owner = record === undefined ? undefined : decodeRecordTarget(record);
  if (owner !== undefined) {
    const veth = hostVethName(owner.network, owner.containerId, owner.ifname);
    const links = ipJson(["link", "show", "dev", veth]) as { ifname: string; operstate?: string }[] | undefined;
    link = links?.[0];
  }
  return { node, stateDir, record, routes, link };
}
