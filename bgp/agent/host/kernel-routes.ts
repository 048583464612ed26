/**
 * The node's Petrel routes in the kernel, through iproute2: only routes tagged with the agent's
 * protocol number are read or changed. With `netns` set (tests and the demo, where a "node" is
 * a network namespace), every command runs as `ip -n <netns>`: the one "run in this netns" place.
 */
import { spawn } from "node:child_process";
import { TransientError } from "../../../common/errors.ts";
import { agentRouteProtocol } from "../../../common/route-protocols.ts";
import type { KernelRoute } from "../route-plan.ts";

function ip(netns: string | undefined, args: readonly string[], input?: string): Promise<string> {
  const argv = [...(netns === undefined ? [] : ["-n", netns]), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn("ip", argv, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", (e) => reject(new TransientError(`ip ${argv.join(" ")}: ${e.message}`, { cause: e })));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new TransientError(`ip ${argv.join(" ")} failed (${code}): ${err.trim().slice(0, 2000)}`));
    });
    if (input !== undefined && child.stdin !== null) {
      // An `ip` that dies early closes its stdin; the close handler reports that, not EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

interface IpRoute {
  dst?: string;
  type?: string;
  gateway?: string;
}

/** Every route with the agent's protocol, IPv4 and IPv6, from the main table. */
export async function listPetrelRoutes(netns: string | undefined): Promise<KernelRoute[]> {
  const out: KernelRoute[] = [];
  for (const family of ["-4", "-6"]) {
    const text = await ip(netns, ["-j", family, "route", "show", "proto", String(agentRouteProtocol)]);
    const routes = JSON.parse(text.trim() === "" ? "[]" : text) as IpRoute[];
    for (const r of routes) {
      if (r.dst === undefined) continue;
      const prefix = r.dst.includes("/") ? r.dst : `${r.dst}/${family === "-4" ? 32 : 128}`;
      if (r.type === "blackhole") out.push({ prefix, kind: "blackhole" });
      else if (r.gateway !== undefined) out.push({ prefix, kind: "via", gateway: r.gateway });
    }
  }
  return out;
}

/**
 * Applies an `ip -batch` script. `-force` keeps going past a failing line (a next hop that is not
 * reachable yet), so one bad route does not hold back the others; the failures are reported.
 */
export async function applyRouteBatch(netns: string | undefined, batch: string): Promise<void> {
  if (batch === "") return;
  await ip(netns, ["-force", "-batch", "-"], batch);
}
