/**
 * The CIDRs that widen what a node imports and exports, bounded: a pool or service CIDR that is a
 * default route, that covers a node's address, or (for a service CIDR) that overlaps a pool is
 * ignored, with a message naming the field. Admission refuses these when they are written
 * (crds/, crds/admission/); this is the agents' own check of what is stored, e.g. from before
 * those rules existed, or a Node that joined later with an address inside a range. Pure.
 */
import type { IPPool } from "../../common/api/index.ts";
import { cidrsOverlap, containsAddress, formatAddress, formatCidr, parseAddress, tryParseCidr, type Cidr, type IpAddress } from "../../common/cidr.ts";

export interface PoolRange {
  readonly name: string;
  readonly cidr: Cidr;
  /** The pool's block size (family default when unset): a block is exactly this long. */
  readonly blockSize: number;
}

export interface IgnoredCidr {
  /** Where the CIDR is written, e.g. `BGPConfiguration default spec.serviceCIDRs`. */
  readonly field: string;
  readonly cidr: string;
  readonly why: string;
}

export interface RouteBounds {
  readonly pools: readonly PoolRange[];
  readonly poolsByName: ReadonlyMap<string, PoolRange>;
  /** Accepted service CIDRs, canonical text. */
  readonly serviceCidrs: readonly string[];
  readonly ignored: readonly IgnoredCidr[];
}

export const serviceCidrsField = "BGPConfiguration default spec.serviceCIDRs";


export function defaultBlockSize(c: Cidr): number {
  return c.family === 4 ? 26 : 122;
}

/** Nodes whose address lies inside `c`. */
function coveredNodes(c: Cidr, nodes: readonly { name: string; address: IpAddress }[]): string[] {
  return nodes.filter((n) => containsAddress(c, n.address)).map((n) => `Node ${n.name}'s address ${formatAddress(n.address)}`);
}

export function routeBounds(pools: readonly IPPool[], serviceCIDRs: readonly string[] | undefined, nodeAddresses: Iterable<readonly [string, string]>): RouteBounds {
  const nodes: { name: string; address: IpAddress }[] = [];
  for (const [name, address] of nodeAddresses) {
    try {
      nodes.push({ name, address: parseAddress(address) });
    } catch {
      // Not an address: the node gets no peer either.
    }
  }
  const ignored: IgnoredCidr[] = [];
  const accepted: PoolRange[] = [];
  for (const p of [...pools].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const field = `IPPool ${p.metadata.name} spec.cidr`;
    const c = tryParseCidr(p.spec.cidr);
    if (c === undefined) {
      ignored.push({ field, cidr: p.spec.cidr, why: "is not a CIDR" });
      continue;
    }
    if (c.prefixLength === 0) {
      ignored.push({ field, cidr: p.spec.cidr, why: "is a default route: every destination would be a pod address" });
      continue;
    }
    const covered = coveredNodes(c, nodes);
    if (covered.length > 0) {
      ignored.push({ field, cidr: p.spec.cidr, why: `contains ${covered.join(", ")}: its blocks could take the nodes' own traffic` });
      continue;
    }
    accepted.push({ name: p.metadata.name, cidr: c, blockSize: p.spec.blockSize ?? defaultBlockSize(c) });
  }
  const services: string[] = [];
  for (const s of serviceCIDRs ?? []) {
    const c = tryParseCidr(s);
    if (c === undefined) {
      ignored.push({ field: serviceCidrsField, cidr: s, why: "is not a CIDR" });
      continue;
    }
    if (c.prefixLength === 0) {
      ignored.push({ field: serviceCidrsField, cidr: s, why: "is a default route: every node would advertise and accept a route to everywhere" });
      continue;
    }
    const pool = accepted.find((p) => cidrsOverlap(p.cidr, c));
    if (pool !== undefined) {
      ignored.push({ field: serviceCidrsField, cidr: s, why: `overlaps IPPool ${pool.name} (${formatCidr(pool.cidr)}): pod routes and service routes would compete` });
      continue;
    }
    const covered = coveredNodes(c, nodes);
    if (covered.length > 0) {
      ignored.push({ field: serviceCidrsField, cidr: s, why: `contains ${covered.join(", ")}: the route would take the nodes' own traffic` });
      continue;
    }
    const text = formatCidr(c);
    if (!services.includes(text)) services.push(text);
  }
  return { pools: accepted, poolsByName: new Map(accepted.map((p) => [p.name, p])), serviceCidrs: services, ignored };
}

/** One line per ignored CIDR, for a condition message and the log. */
export function describeIgnored(ignored: readonly IgnoredCidr[]): string {
  return ignored.map((i) => `${i.field}: ${i.cidr} ${i.why}; it is ignored`).join("; ");
}
