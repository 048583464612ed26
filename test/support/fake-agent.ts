// Stands in for the node agent (issue 4) where a controller test needs what only an agent writes:
// IPAMBlock.status (allocated, capacity, observedGeneration). It writes exactly what DESIGN.md
// says an agent writes, through the status subresource of the real API server.
import type { IPAMBlock } from "../../common/api/index.ts";
import type { KubeRig } from "../rig/rig.ts";

export async function getBlock(rig: KubeRig, name: string): Promise<IPAMBlock | undefined> {
  const r = await rig.request("GET", `/apis/petrel.dev/v1alpha1/ipamblocks/${name}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`reading IPAMBlock ${name}: HTTP ${r.status}`);
  return r.body as IPAMBlock;
}

/** Reports `allocated` addresses in use in the block, acknowledging its current generation. */
export async function reportBlockUsage(rig: KubeRig, block: IPAMBlock, allocated: number): Promise<void> {
  const capacity = 2 ** ((block.spec.cidr.includes(":") ? 128 : 32) - Number(block.spec.cidr.split("/")[1]));
  const r = await rig.request("PATCH", `/apis/petrel.dev/v1alpha1/ipamblocks/${block.metadata.name}/status`, {
    status: { allocated, capacity, observedGeneration: block.metadata.generation, lastUpdate: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
  }, "application/merge-patch+json");
  if (r.status !== 200) throw new Error(`reporting usage of ${block.metadata.name}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
}
