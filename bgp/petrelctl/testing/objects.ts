/** Builders for the API objects petrelctl reads, for its unit tests and the test against a real API server. */
import type { IPAMBlock, IPPool, PetrelNode, PetrelNodeStatus } from "../../../common/api/index.ts";
import { blockNameOf } from "../../../common/block-name.ts";
import { parseCidr } from "../../../common/cidr.ts";
import type { PodInfo } from "../check-model.ts";

export function pool(name: string, cidr: string, extra: Partial<IPPool["spec"]> = {}, status?: IPPool["status"]): IPPool {
  return { apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name }, spec: { cidr, ...extra }, ...(status === undefined ? {} : { status }) };
}

export function block(cidr: string, node: string, poolName: string, allocated?: number, extra: { draining?: boolean; name?: string } = {}): IPAMBlock {
  const c = parseCidr(cidr);
  return {
    apiVersion: "petrel.dev/v1alpha1",
    kind: "IPAMBlock",
    metadata: { name: extra.name ?? blockNameOf(c), labels: { "petrel.dev/node": node } },
    spec: { cidr, pool: poolName, node, ...(extra.draining === undefined ? {} : { draining: extra.draining }) },
    ...(allocated === undefined ? {} : { status: { allocated, capacity: Number(1n << BigInt((c.family === 4 ? 32 : 128) - c.prefixLength)) } }),
  };
}

export function pod(ref: string, node: string | undefined, ips: readonly string[], extra: { hostNetwork?: boolean; phase?: string } = {}): PodInfo {
  const [namespace = "", name = ""] = ref.split("/");
  return { namespace, name, node, hostNetwork: extra.hostNetwork === true, phase: extra.phase ?? "Running", ips };
}

export function petrelNode(name: string, status?: PetrelNodeStatus): PetrelNode {
  return { apiVersion: "petrel.dev/v1alpha1", kind: "PetrelNode", metadata: { name }, ...(status === undefined ? {} : { status }) };
}

/** An RFC 3339 time `ms` before `now`, without milliseconds (as the agent writes it). */
export function ago(now: Date, ms: number): string {
  return new Date(now.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function readyCondition(status: "True" | "False" | "Unknown", reason = status === "True" ? "AgentReady" : "GobgpDown", message = ""): NonNullable<PetrelNodeStatus["conditions"]>[number] {
  return { type: "Ready", status, reason, message, lastTransitionTime: "2026-01-01T00:00:00Z" };
}
