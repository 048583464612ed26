/**
 * `petrelctl ipam check` against the API alone: blocks that overlap or lie outside their pool,
 * pods whose address is not in a block of their node, and blocks whose agent reports more
 * addresses allocated than there are pods with an address in them. Pure.
 *
 * The lists are read one after the other, so a pod that started or stopped in between can show up
 * as a finding that is gone on the next run; the findings that stay are the real ones.
 */
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { containsAddress, containsCidr, formatCidr, lastAddress, type Cidr } from "../../common/cidr.ts";
import { podAddresses, podRef, addressKey, type Finding, type PodAddress, type PodInfo } from "./check-model.ts";
import { compareCidrText, tryCidr } from "./ipam-show.ts";

interface ParsedBlock {
  readonly block: IPAMBlock;
  readonly cidr: Cidr;
}

const blockRef = (b: IPAMBlock) => `IPAMBlock ${b.metadata.name}`;
const describe = (b: IPAMBlock) => `${blockRef(b)} (${b.spec.cidr}, node ${b.spec.node}, pool ${b.spec.pool})`;
const deletePod = (p: PodInfo) => `kubectl delete pod -n ${p.namespace} ${p.name}`;

export function parseBlocks(blocks: readonly IPAMBlock[], findings: Finding[]): ParsedBlock[] {
  const out: ParsedBlock[] = [];
  for (const block of [...blocks].sort((a, b) => compareCidrText(a.spec.cidr, b.spec.cidr))) {
    const cidr = tryCidr(block.spec.cidr);
    if (cidr === undefined) {
      findings.push({
        kind: "block-invalid",
        object: blockRef(block),
        node: block.spec.node,
        message: `${blockRef(block)} has spec.cidr "${block.spec.cidr}", which is not a CIDR`,
        fix: `The CRD's validation should have refused it: apply Petrel's CRDs (kubectl apply -f crds/), then delete the block (kubectl delete ipamblock ${block.metadata.name}); the controller cuts a valid one`,
      });
    } else {
      out.push({ block, cidr });
    }
  }
  return out;
}

function overlapFix(a: IPAMBlock, b: IPAMBlock): string {
  const cause = a.spec.pool === b.spec.pool
    ? `The controller never cuts overlapping blocks from one pool, so one of them was made by hand`
    : `Pools ${a.spec.pool} and ${b.spec.pool} overlap (petrelctl ipam show), or one block was made by hand`;
  const ta = Date.parse(a.metadata.creationTimestamp ?? "");
  const tb = Date.parse(b.metadata.creationTimestamp ?? "");
  const newer = Number.isNaN(ta) || Number.isNaN(tb) || ta === tb ? undefined : ta > tb ? a : b;
  const hint = newer === undefined ? "" : ` (the newer of the two is ${blockRef(newer)})`;
  return `${cause}. Move the pods off the wrong block${hint} by deleting them or draining its node, then delete it (kubectl delete ipamblock NAME)`;
}

/** (a) Overlapping blocks, by a sweep over blocks sorted by address (CIDRs either nest or are disjoint). */
export function overlappingBlocks(sorted: readonly ParsedBlock[]): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    if (a === undefined) continue;
    const end = lastAddress(a.cidr).value;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j];
      if (b === undefined || b.cidr.family !== a.cidr.family || b.cidr.network > end) break;
      findings.push({
        kind: "block-overlap",
        object: blockRef(a.block),
        node: a.block.spec.node,
        message: `${describe(a.block)} overlaps ${describe(b.block)}: ${a.block.spec.node === b.block.spec.node ? "the node" : "both nodes"} may hand out the same addresses`,
        fix: overlapFix(a.block, b.block),
      });
    }
  }
  return findings;
}

/** (a) Blocks whose pool does not exist or does not contain them. */
export function blocksOutsidePools(blocks: readonly ParsedBlock[], pools: ReadonlyMap<string, { pool: IPPool; cidr: Cidr | undefined }>): Finding[] {
  const findings: Finding[] = [];
  for (const { block, cidr } of blocks) {
    const pool = pools.get(block.spec.pool);
    if (pool === undefined) {
      findings.push({
        kind: "block-without-pool",
        object: blockRef(block),
        node: block.spec.node,
        message: `${describe(block)} names IPPool ${block.spec.pool}, which does not exist`,
        fix: `Its pool was removed past its finalizer, or the block was made by hand; agents neither route nor advertise addresses outside every pool. Recreate IPPool ${block.spec.pool}, or delete the pods using the block and then the block (kubectl delete ipamblock ${block.metadata.name})`,
      });
    } else if (pool.cidr !== undefined && !containsCidr(pool.cidr, cidr)) {
      findings.push({
        kind: "block-outside-pool",
        object: blockRef(block),
        node: block.spec.node,
        message: `${describe(block)} lies outside its pool's CIDR ${formatCidr(pool.cidr)}`,
        fix: `The controller only cuts blocks inside their pool, so the block was made by hand or the pool recreated with another CIDR. Delete the pods using the block, then the block (kubectl delete ipamblock ${block.metadata.name}); the controller cuts a correct one`,
      });
    }
  }
  return findings;
}

/** (b) Pod addresses not inside a block of the pod's node, and addresses held by two pods. */
export function podsWithoutAllocation(addresses: readonly PodAddress[], blocks: readonly ParsedBlock[]): Finding[] {
  const findings: Finding[] = [];
  for (const a of addresses) {
    const holders = blocks.filter((b) => containsAddress(b.cidr, a.address));
    if (holders.some((b) => b.block.spec.node === a.node)) continue;
    const other = holders[0];
    const where = other === undefined
      ? "which is in no IPAMBlock"
      : `which is in ${blockRef(other.block)} of node ${other.block.spec.node}, not in a block of ${a.node}`;
    findings.push({
      kind: "pod-without-allocation",
      object: `Pod ${podRef(a.pod)}`,
      node: a.node,
      message: `Pod ${podRef(a.pod)} on ${a.node} has address ${a.text}, ${where} (pod without an allocation)`,
      fix: `Nothing keeps ${a.text} from being handed to another pod, and other nodes do not route it to ${a.node}. Delete the pod (${deletePod(a.pod)}) so that it starts again with an address from ${a.node}'s blocks`,
    });
  }
  const byAddress = new Map<string, PodAddress[]>();
  for (const a of addresses) byAddress.set(addressKey(a.address), [...(byAddress.get(addressKey(a.address)) ?? []), a]);
  for (const same of byAddress.values()) {
    const first = same[0];
    if (first === undefined || same.length < 2) continue;
    findings.push({
      kind: "duplicate-pod-address",
      object: `address ${first.text}`,
      node: first.node,
      message: `address ${first.text} is held by ${same.length} pods: ${same.map((a) => `${podRef(a.pod)} on ${a.node}`).join(", ")}`,
      fix: `Only one of them gets the traffic. Delete all but one (${same.slice(1).map((a) => deletePod(a.pod)).join("; ")}) so they start again with their own addresses`,
    });
  }
  return findings;
}

/** (c) Blocks whose status.allocated exceeds the pods on the block's node with an address in it. */
export function allocatedWithoutPods(blocks: readonly ParsedBlock[], addresses: readonly PodAddress[]): Finding[] {
  const findings: Finding[] = [];
  for (const { block, cidr } of blocks) {
    const allocated = block.status?.allocated;
    if (allocated === undefined) continue;
    const pods = addresses.filter((a) => a.node === block.spec.node && containsAddress(cidr, a.address)).length;
    if (allocated <= pods) continue;
    const count = allocated - pods;
    findings.push({
      kind: "allocated-without-pod",
      object: blockRef(block),
      node: block.spec.node,
      count,
      message: `${describe(block)} has ${allocated} address${allocated === 1 ? "" : "es"} allocated but ${pods} pod${pods === 1 ? "" : "s"} on ${block.spec.node} with an address in it: ${count} address${count === 1 ? "" : "es"} allocated without a pod`,
      fix: `Leaked addresses (a pod removed without a CNI DEL), or pods that stopped since the agent's last status update (re-run in a few seconds). To see which addresses they are and how to free them, run on ${block.spec.node}: petrelctl ipam check --state-dir /var/lib/petrel --node ${block.spec.node}`,
    });
  }
  return findings;
}

export interface ApiCheckResult {
  readonly findings: Finding[];
  /** Pod addresses inside a pool, for the per-node record check. */
  readonly addresses: readonly PodAddress[];
}

export function checkIpam(pools: readonly IPPool[], blocks: readonly IPAMBlock[], pods: readonly PodInfo[]): ApiCheckResult {
  const findings: Finding[] = [];
  const poolMap = new Map(pools.map((p) => [p.metadata.name, { pool: p, cidr: tryCidr(p.spec.cidr) }]));
  const poolCidrs = [...poolMap.values()].flatMap((p) => (p.cidr === undefined ? [] : [p.cidr]));
  const parsed = parseBlocks(blocks, findings);
  const sortedPods = [...pods].sort((a, b) => (podRef(a) < podRef(b) ? -1 : podRef(a) > podRef(b) ? 1 : 0));
  const addresses = podAddresses(sortedPods, poolCidrs);
  findings.push(
    ...overlappingBlocks(parsed),
    ...blocksOutsidePools(parsed, poolMap),
    ...podsWithoutAllocation(addresses, parsed),
    ...allocatedWithoutPods(parsed, addresses),
  );
  return { findings, addresses };
}
