// Reading Petrel's IPAM objects from a KubeRig and checking the invariants every test relies on:
// no two blocks overlap, every block lies inside its pool and has the pool's block size.
import { setTimeout as sleep } from "node:timers/promises";
import { cidrsOverlap, containsCidr, parseCidr } from "../../common/cidr.ts";
import type { IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";
import type { KubeRig } from "../rig/rig.ts";

async function list<T>(rig: KubeRig, plural: string): Promise<T[]> {
  const r = await rig.request("GET", `/apis/petrel.dev/v1alpha1/${plural}`);
  if (r.status !== 200) throw new Error(`listing ${plural}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return (r.body as { items: T[] }).items;
}

export const listBlocks = (rig: KubeRig) => list<IPAMBlock>(rig, "ipamblocks");
export const listPools = (rig: KubeRig) => list<IPPool>(rig, "ippools");
export const listPetrelNodes = (rig: KubeRig) => list<PetrelNode>(rig, "petrelnodes");

export async function getPool(rig: KubeRig, name: string): Promise<IPPool | undefined> {
  const r = await rig.request("GET", `/apis/petrel.dev/v1alpha1/ippools/${name}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`reading IPPool ${name}: HTTP ${r.status}`);
  return r.body as IPPool;
}

/** Every violated invariant, as sentences (empty when all hold). */
export function ipamViolations(pools: readonly IPPool[], blocks: readonly IPAMBlock[]): string[] {
  const out: string[] = [];
  const poolsByName = new Map(pools.map((p) => [p.metadata.name, p]));
  const parsed = blocks.map((b) => ({ b, cidr: parseCidr(b.spec.cidr) }));
  for (const { b, cidr } of parsed) {
    const pool = poolsByName.get(b.spec.pool);
    if (pool === undefined) {
      out.push(`block ${b.spec.cidr} names pool ${b.spec.pool}, which does not exist`);
      continue;
    }
    const poolCidr = parseCidr(pool.spec.cidr);
    const size = pool.spec.blockSize ?? (poolCidr.family === 4 ? 26 : 122);
    if (!containsCidr(poolCidr, cidr)) out.push(`block ${b.spec.cidr} lies outside its pool ${pool.metadata.name} (${pool.spec.cidr})`);
    if (cidr.prefixLength !== size) out.push(`block ${b.spec.cidr} is not a /${size} block of pool ${pool.metadata.name}`);
    if (b.metadata.labels?.["petrel.dev/node"] !== b.spec.node) out.push(`block ${b.spec.cidr} lacks the label petrel.dev/node=${b.spec.node}`);
  }
  const sorted = [...parsed].sort((x, y) => (x.cidr.network < y.cidr.network ? -1 : x.cidr.network > y.cidr.network ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a !== undefined && b !== undefined && cidrsOverlap(a.cidr, b.cidr)) out.push(`blocks ${a.b.spec.cidr} (${a.b.spec.node}) and ${b.b.spec.cidr} (${b.b.spec.node}) overlap`);
  }
  return out;
}

/** Polls `check` until it returns true (or throws with the last description when time runs out). */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean | string>): Promise<number> {
  const start = Date.now();
  let last: boolean | string = false;
  while (Date.now() - start < timeoutMs) {
    last = await check();
    if (last === true) return Date.now() - start;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${typeof last === "string" ? `: ${last}` : ""}`);
}

/** Node name → its blocks' CIDRs (non-draining only when `activeOnly`). */
export function blocksByNode(blocks: readonly IPAMBlock[], activeOnly = false): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of blocks) {
    if (activeOnly && b.spec.draining === true) continue;
    out.set(b.spec.node, [...(out.get(b.spec.node) ?? []), b.spec.cidr]);
  }
  return out;
}
