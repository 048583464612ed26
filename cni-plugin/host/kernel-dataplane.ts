import { statSync, writeFileSync, readFileSync } from "node:fs";
import { CniCode, CniError } from "../cni-error.ts";
import { containerSetupScript, hostPrefix, hostSetupScript, hostSysctls, hostVethMac, nodeForwardingSysctls, podGatewayV4 } from "../pod-wiring.ts";
import type { PodWiring } from "../pod-wiring.ts";
import type { PodDataplane } from "../ports.ts";
import { execSync, type ExecResult } from "./exec.ts";
import { runInNetns } from "./netns.ts";

/**
 * The kernel data plane, driven through iproute2's `ip -batch` so that each namespace costs one
 * process (a netlink client in JavaScript would need native code; spawning `ip` costs 1–2 ms).
 */
function failed(what: string, r: ExecResult): CniError {
  const why = r.stderr.trim().replace(/\s+/g, " ") || `exit status ${r.status}`;
  return new CniError(CniCode.dataplaneFailure, `${what}: ${why}`, {
    details: "the kernel refused the change; the plugin undid what it had done",
  });
}

const missingLink = /Cannot find device|does not exist/;

function deleteLink(name: string): ExecResult {
  return execSync(["ip", "link", "del", "dev", name]);
}

function nsDevice(path: string): number | undefined {
  try {
    return statSync(path).dev;
  } catch {
    return undefined;
  }
}

function readSysctl(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * Turns node-wide forwarding on when it is off (pod-wiring.ts, nodeForwardingSysctls). Reads
 * first: a read costs a few microseconds, and writing `ip_forward` when it changes touches every
 * interface. A node where it cannot be turned on cannot carry pod traffic, so ADD fails.
 */
function ensureNodeForwarding(w: PodWiring): void {
  for (const [path, value] of nodeForwardingSysctls(w)) {
    if (readSysctl(path) === value) continue;
    try {
      writeFileSync(path, value);
    } catch (err) {
      const name = path.replace("/proc/sys/", "").replaceAll("/", ".");
      throw new CniError(CniCode.dataplaneFailure, `cannot turn on forwarding (${name}=${value}): ${(err as Error).message}`, {
        details: `pods on this node are unreachable from other nodes and from host ports without it; set it on the node (sysctl -w ${name}=${value}, and in /etc/sysctl.d/ to keep it)`,
        cause: err,
      });
    }
  }
}

export function kernelDataplane(): PodDataplane {
  return {
    isNetns(path) {
      const dev = nsDevice(path);
      return dev !== undefined && dev === nsDevice("/proc/self/ns/net");
    },

    wire(w) {
      const script = hostSetupScript(w);
      let r = execSync(["ip", "-batch", "-"], script);
      if (r.status !== 0 && /File exists/.test(r.stderr) && /Command failed -:1/.test(r.stderr)) {
        // A veth of this very attachment survives from an ADD that was killed: replace it.
        deleteLink(w.hostVeth);
        r = execSync(["ip", "-batch", "-"], script);
      }
      if (r.status !== 0) throw failed(`cannot create veth ${w.hostVeth} for ${w.ifname} in ${w.netns}`, r);
      try {
        for (const [path, value] of hostSysctls(w)) writeFileSync(path, value);
      } catch (err) {
        throw new CniError(CniCode.dataplaneFailure, `cannot set sysctls on ${w.hostVeth}: ${(err as Error).message}`, { cause: err });
      }
      const c = runInNetns(w.netns, ["ip", "-batch", "-"], containerSetupScript(w));
      if (c.status !== 0) throw failed(`cannot configure ${w.ifname} in ${w.netns}`, c);
      ensureNodeForwarding(w);
    },

    unwire(hostVeth) {
      const r = deleteLink(hostVeth);
      if (r.status !== 0 && !missingLink.test(r.stderr)) throw failed(`cannot delete veth ${hostVeth}`, r);
    },

    inspect(w) {
      const problems: string[] = [];
      const host = execSync(["ip", "-j", "link", "show", "dev", w.hostVeth]);
      const hostLink = host.status === 0 ? (JSON.parse(host.stdout) as Array<{ address?: string; mtu?: number; operstate?: string }>)[0] : undefined;
      if (hostLink === undefined) return [`host veth ${w.hostVeth} is missing`];
      if (hostLink.address !== hostVethMac) problems.push(`host veth MAC is ${hostLink.address}, expected ${hostVethMac}`);
      if (hostLink.mtu !== w.mtu) problems.push(`host veth MTU is ${hostLink.mtu}, expected ${w.mtu}`);
      for (const [path, value] of [...hostSysctls(w), ...nodeForwardingSysctls(w)]) {
        const actual = readSysctl(path);
        if (actual !== value) problems.push(`${path} is "${actual}", expected "${value}"`);
      }
      const routes = execSync(["ip", "-j", "route", "show", "dev", w.hostVeth]);
      const hostRoutes = routes.status === 0 ? (JSON.parse(routes.stdout) as Array<{ dst: string }>).map((x) => x.dst) : [];
      for (const a of w.addresses) {
        const dst = hostPrefix(a).replace(/\/(32|128)$/, "");
        if (!hostRoutes.includes(dst)) problems.push(`host route ${hostPrefix(a)} dev ${w.hostVeth} is missing`);
      }
      const inside = runInNetns(w.netns, ["ip", "-j", "-batch", "-"], `addr show dev ${w.ifname}\nroute show dev ${w.ifname}\n`);
      if (inside.status !== 0) return [...problems, `interface ${w.ifname} is missing in ${w.netns}`];
      const [addrJson = "[]", routeJson = "[]"] = inside.stdout.trim().split("\n");
      const link = (JSON.parse(addrJson) as Array<{ address?: string; mtu?: number; addr_info?: Array<{ local: string; prefixlen: number }> }>)[0];
      const have = (link?.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`);
      for (const a of w.addresses) {
        if (!have.includes(hostPrefix(a))) problems.push(`${w.ifname} lacks address ${hostPrefix(a)}`);
      }
      if (link?.mtu !== w.mtu) problems.push(`${w.ifname} MTU is ${link?.mtu}, expected ${w.mtu}`);
      const podRoutes = JSON.parse(routeJson) as Array<{ dst: string; gateway?: string }>;
      if (w.addresses.some((a) => a.family === 4)) {
        if (!podRoutes.some((x) => x.dst === podGatewayV4)) problems.push(`route to ${podGatewayV4} in the pod is missing`);
        if (!podRoutes.some((x) => x.dst === "default" && x.gateway === podGatewayV4)) problems.push(`default route via ${podGatewayV4} in the pod is missing`);
      }
      return problems;
    },
  };
}
