/**
 * `petrelctl ipam show`: the pools with their usage, then every block by node. Usage comes from
 * the blocks' status, which each node's agent writes from the CNI plugin's allocation records;
 * the block count and capacity come from the blocks themselves, so they are current even when the
 * controller has not yet republished IPPool.status. Pure.
 */
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { cidrSize, tryParseCidr, type Cidr } from "../../common/cidr.ts";
import { renderTable } from "./format.ts";

export interface PoolRow {
  readonly name: string;
  readonly cidr: string;
  /** The effective block size: status, else spec, else the family default; undefined for a bad CIDR. */
  readonly blockSize: number | undefined;
  readonly blocks: number;
  /** Addresses allocated, summed over the blocks that report it. */
  readonly used: number;
  /** Addresses in the pool's blocks. */
  readonly capacity: number;
  readonly disabled: boolean;
  readonly deleting: boolean;
  /** The pool's conditions whose status is True (Overlapping, Exhausted, Invalid, Deleting). */
  readonly conditions: readonly { readonly type: string; readonly reason: string; readonly message: string }[];
}

export interface BlockRow {
  readonly node: string;
  readonly name: string;
  readonly cidr: string;
  readonly pool: string;
  /** From the agent's status; undefined when the agent has not reported on the block yet. */
  readonly allocated: number | undefined;
  readonly capacity: number;
  readonly draining: boolean;
}

export interface IpamShowReport {
  readonly pools: readonly PoolRow[];
  readonly blocks: readonly BlockRow[];
}

/** A CIDR as petrelctl reads it from objects: host bits allowed, undefined when it is none. */
export const tryCidr = (text: string): Cidr | undefined => tryParseCidr(text, false);

/** Capacity of a block: as its agent reports it, else the size of its CIDR. */
export function blockCapacity(b: IPAMBlock): number {
  if (b.status?.capacity !== undefined) return b.status.capacity;
  const c = tryCidr(b.spec.cidr);
  return c === undefined ? 0 : Number(cidrSize(c));
}

/** Orders CIDRs by family, then address, then prefix length; unreadable ones last, by text. */
export function compareCidrText(a: string, b: string): number {
  const ca = tryCidr(a);
  const cb = tryCidr(b);
  if (ca === undefined || cb === undefined) {
    if (ca !== cb) return ca === undefined ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (ca.family !== cb.family) return ca.family - cb.family;
  if (ca.network !== cb.network) return ca.network < cb.network ? -1 : 1;
  return ca.prefixLength - cb.prefixLength;
}

function effectiveBlockSize(p: IPPool): number | undefined {
  if (p.status?.blockSize !== undefined) return p.status.blockSize;
  if (p.spec.blockSize !== undefined) return p.spec.blockSize;
  const c = tryCidr(p.spec.cidr);
  return c === undefined ? undefined : c.family === 4 ? 26 : 122;
}

export function ipamShowReport(pools: readonly IPPool[], blocks: readonly IPAMBlock[]): IpamShowReport {
  const poolRows = [...pools]
    .sort((a, b) => compareCidrText(a.spec.cidr, b.spec.cidr) || (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((p): PoolRow => {
      const own = blocks.filter((b) => b.spec.pool === p.metadata.name);
      return {
        name: p.metadata.name,
        cidr: p.spec.cidr,
        blockSize: effectiveBlockSize(p),
        blocks: own.length,
        used: own.reduce((sum, b) => sum + (b.status?.allocated ?? 0), 0),
        capacity: own.reduce((sum, b) => sum + blockCapacity(b), 0),
        disabled: p.spec.disabled === true,
        deleting: p.metadata.deletionTimestamp !== undefined,
        conditions: (p.status?.conditions ?? [])
          .filter((c) => c.status === "True")
          .map((c) => ({ type: c.type, reason: c.reason, message: c.message })),
      };
    });
  const blockRows = [...blocks]
    .sort((a, b) => (a.spec.node < b.spec.node ? -1 : a.spec.node > b.spec.node ? 1 : compareCidrText(a.spec.cidr, b.spec.cidr)))
    .map((b): BlockRow => ({
      node: b.spec.node,
      name: b.metadata.name,
      cidr: b.spec.cidr,
      pool: b.spec.pool,
      allocated: b.status?.allocated,
      capacity: blockCapacity(b),
      draining: b.spec.draining === true,
    }));
  return { pools: poolRows, blocks: blockRows };
}

/** `wide` (-o wide) adds each block's object name (`kubectl get ipamblock NAME`). */
export function renderIpamShow(report: IpamShowReport, wide = false): string {
  let out = "";
  if (report.pools.length === 0) {
    out += "No IPPools: create one (see docs/petrelctl.md or crds/README.md) before pods can get addresses.\n";
  } else {
    out += renderTable(
      ["POOL", "CIDR", "BLOCK SIZE", "BLOCKS", "USED/CAPACITY", "DISABLED", "CONDITIONS"],
      report.pools.map((p) => [
        p.name,
        p.cidr,
        p.blockSize === undefined ? "-" : String(p.blockSize),
        String(p.blocks),
        `${p.used}/${p.capacity}`,
        String(p.disabled),
        p.conditions.length === 0 ? "-" : p.conditions.map((c) => c.type).join(","),
      ]),
    );
    const notes = report.pools.flatMap((p) => p.conditions.map((c) => `${p.name}: ${c.type} (${c.reason})${c.message === "" ? "" : `: ${c.message}`}`));
    if (notes.length > 0) out += "\n" + notes.map((n) => `${n}\n`).join("");
  }
  out += "\n";
  if (report.blocks.length === 0) {
    out += "No IPAMBlocks: the controller cuts one per node from each pool that selects the node.\n";
  } else {
    out += renderTable(
      ["NODE", "BLOCK", ...(wide ? ["NAME"] : []), "POOL", "ALLOCATED/CAPACITY", "DRAINING"],
      report.blocks.map((b) => [b.node, b.cidr, ...(wide ? [b.name] : []), b.pool, `${b.allocated ?? "-"}/${b.capacity}`, String(b.draining)]),
    );
    if (report.blocks.some((b) => b.allocated === undefined)) {
      out += "(- : the node's agent has not reported on the block yet)\n";
    }
  }
  return out;
}
