/**
 * The node's routes, through iproute2 (KernelPort). Listing reads the whole main table once
 * (numeric, so Petrel's protocol is recognised whatever /etc/iproute2/rt_protos calls it) and
 * splits it into Petrel's routes and the prefixes other routes hold; prefixes are made canonical
 * here, once. Changes go to the agent's long-lived `ip -force -batch -` (ip-batch.ts); its
 * per-line errors say which prefixes the kernel refused because another route holds them
 * (EEXIST on `add`) and which failed.
 * With `netns` set (tests and the demo, where a "node" is a network namespace), every command
 * runs as `ip -n <netns>` (runIp in common/host/run-program.ts).
 */
import { formatCidr, tryParseCidr } from "../../../common/cidr.ts";
import { TransientError } from "../../../common/errors.ts";
import { runIp } from "../../../common/host/run-program.ts";
import { agentRouteProtocol } from "../../../common/route-protocols.ts";
import type { IpBatch } from "./ip-batch.ts";
import { batchLines, changePrefix, type ApplyResult, type KernelRoute, type RouteChange } from "../route-plan.ts";

interface IpRoute {
  dst?: string;
  type?: string;
  gateway?: string;
  protocol?: string;
}

/** `ip`'s dst as canonical CIDR text ("default" and host routes without a length included). */
export function canonicalDst(dst: string, family: 4 | 6): string | undefined {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  const text = dst.includes("/") ? dst : `${dst}/${family === 4 ? 32 : 128}`;
  if (family === 4) return text;
  const cidr = tryParseCidr(text, false);
  return cidr === undefined ? undefined : formatCidr(cidr);
}

/** RTN_BLACKHOLE, as `ip -N` prints the route type. */
const blackholeType = "6";

/** Splits a numeric (`ip -N -j route show`) listing into Petrel's routes and other routes' prefixes. */
export function splitRoutes(json: string, family: 4 | 6): { petrel: KernelRoute[]; foreign: string[] } {
  const petrel: KernelRoute[] = [];
  const foreign: string[] = [];
  for (const r of JSON.parse(json.trim() === "" ? "[]" : json) as IpRoute[]) {
    if (r.dst === undefined) continue;
    const prefix = canonicalDst(r.dst, family);
    if (prefix === undefined) continue;
    if (r.protocol !== String(agentRouteProtocol)) {
      foreign.push(prefix);
    } else if (r.type === blackholeType || r.type === "blackhole") {
      petrel.push({ prefix, kind: "blackhole" });
    } else if (r.gateway !== undefined) {
      petrel.push({ prefix, kind: "via", gateway: r.gateway });
    } else {
      // A Petrel-tagged route of another shape (made by hand?): listed so that it is replaced or removed.
      petrel.push({ prefix, kind: "via", gateway: "" });
    }
  }
  return { petrel, foreign };
}

export async function listRoutes(netns: string | undefined): Promise<{ petrel: KernelRoute[]; foreign: Set<string> }> {
  const petrel: KernelRoute[] = [];
  const foreign = new Set<string>();
  for (const family of [4, 6] as const) {
    const r = await runIp(netns, ["-N", "-j", `-${family}`, "route", "show", "table", "main"]);
    if (r.code !== 0) throw new TransientError(`ip -N -j -${family} route show table main failed (${r.code}): ${r.err.trim().slice(0, 500)}`);
    const split = splitRoutes(r.out, family);
    petrel.push(...split.petrel);
    for (const p of split.foreign) foreign.add(p);
  }
  return { petrel, foreign };
}

/**
 * Applies changes through the agent's long-lived `ip -batch` (ip-batch.ts). A batch ip could
 * not finish throws a TransientError: the engine lists the kernel again and retries.
 */
export async function applyChanges(batch: IpBatch, changes: readonly RouteChange[]): Promise<ApplyResult> {
  if (changes.length === 0) return { exists: [], failed: [] };
  const failures = await batch.run(batchLines(changes));
  const exists: string[] = [];
  const failed: { prefix: string; error: string }[] = [];
  for (const [line, message] of failures) {
    const c = changes[line - 1];
    if (c === undefined) continue;
    if (c.op === "remove" && /No such process/.test(message)) continue; // already gone
    if (c.op === "add" && /File exists/.test(message)) exists.push(changePrefix(c));
    else failed.push({ prefix: changePrefix(c), error: message });
  }
  return { exists, failed };
}
