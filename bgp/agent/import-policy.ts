/**
 * Route trust as gobgpd policy: a first filter in front of the agent's own check, so that a
 * route the agent would refuse never even becomes gobgpd's best path (a rogue's announcement of
 * another node's block must not win best-path selection over the owner's, whatever its
 * attributes), and so that a route reflector passes on only what it accepted.
 *
 * Import policy `petrel-import`, default reject:
 * - `petrel-local`: this node's own paths (route type local: the agent is gobgpd's only API
 *   client; gobgpd applies the import policy to them too).
 * - one statement per other node and family: its valid blocks exactly (a prefix set of the exact
 *   CIDRs), and a next hop that is its address or a learn-from peer's.
 * - one per family for the accepted service CIDRs exactly, from a Petrel node or learn-from peer.
 * Export: `petrel-export-local` (own paths only) on a node; `petrel-import` again on a route
 * reflector. Statement names carry a hash of their next-hop list, since gobgpd cannot change a
 * statement in place: a changed one is added under its new name, then the old one removed.
 * Pure.
 */
import { createHash } from "node:crypto";
import type { AddressFamily, PolicyStatement } from "../gobgp/types.ts";

export const importPolicyName = "petrel-import";
export const exportLocalPolicyName = "petrel-export-local";
export const localStatementName = "petrel-local";

/** One node's valid blocks' CIDRs (canonical), by family: split where they enter, once. */
export type OwnerBlocks = ReadonlyMap<AddressFamily, ReadonlySet<string>>;

export interface PolicyInputs {
  /** Every other node with valid blocks: node → its blocks by family. */
  readonly blocksByOwner: Iterable<readonly [string, OwnerBlocks]>;
  readonly address: (node: string) => string | undefined;
  readonly learnFrom: readonly string[];
  readonly services: readonly string[];
  /** Every Petrel node's address but this node's. */
  readonly nodeAddresses: readonly string[];
  readonly reflector: boolean;
}

export interface DesiredStatement {
  readonly statement: PolicyStatement & { name: string };
  /** The prefix set it uses (in `sets`). */
  readonly set: string;
}

export interface DesiredPolicy {
  /** Prefix sets by name: exact CIDRs. Sets exist only with at least one prefix. */
  readonly sets: ReadonlyMap<string, ReadonlySet<string>>;
  /** Statements of `petrel-import` besides `petrel-local`, by name. */
  readonly statements: ReadonlyMap<string, DesiredStatement>;
  readonly reflector: boolean;
}

/** The family of an address or CIDR in canonical text. */
export const familyOf = (text: string): AddressFamily => (text.includes(":") ? "ipv6-unicast" : "ipv4-unicast");

/** CIDRs split by family (for callers that hold them unsplit: tests, the block index). */
export function blocksByFamily(prefixes: Iterable<string>): Map<AddressFamily, Set<string>> {
  const out = new Map<AddressFamily, Set<string>>();
  for (const p of prefixes) {
    const f = familyOf(p);
    let set = out.get(f);
    if (set === undefined) out.set(f, (set = new Set()));
    set.add(p);
  }
  return out;
}
const short = (f: AddressFamily) => (f === "ipv4-unicast" ? "v4" : "v6");

function hashOf(values: readonly string[]): string {
  return createHash("sha256").update(values.join(",")).digest("hex").slice(0, 8);
}

/** The prefix-set name of one node's blocks of one family. */
export function ownerSetName(node: string, family: AddressFamily): string {
  return `petrel-blocks-${short(family)}-${node}`;
}

export function desiredPolicy(inputs: PolicyInputs): DesiredPolicy {
  const sets = new Map<string, ReadonlySet<string>>();
  const statements = new Map<string, DesiredStatement>();
  const add = (set: string, prefixes: ReadonlySet<string>, family: AddressFamily, nextHops: readonly string[]) => {
    const hops = [...new Set(nextHops.filter((h) => familyOf(h) === family))].sort();
    if (prefixes.size === 0 || hops.length === 0) return;
    sets.set(set, prefixes);
    const name = `${set}-${hashOf(hops)}`;
    statements.set(name, { set, statement: { name, conditions: { prefixSet: { name: set, match: "any" }, nextHopInList: hops }, action: "accept" } });
  };
  // O(owners): each owner's sets are kept split by family by the block index, and used as they
  // are, without a copy (a pass during a 10,000-block burst used to walk every prefix again).
  for (const [node, families] of inputs.blocksByOwner) {
    const owner = inputs.address(node);
    const hops = [...(owner === undefined ? [] : [owner]), ...inputs.learnFrom];
    for (const [f, prefixes] of families) add(ownerSetName(node, f), prefixes, f, hops);
  }
  for (const f of ["ipv4-unicast", "ipv6-unicast"] as const) {
    const services = new Set(inputs.services.filter((s) => familyOf(s) === f));
    add(`petrel-services-${short(f)}`, services, f, [...inputs.nodeAddresses, ...inputs.learnFrom]);
  }
  return { sets, statements, reflector: inputs.reflector };
}

export const localStatement: PolicyStatement & { name: string } = { name: localStatementName, conditions: { routeType: "local" }, action: "accept" };
export const exportLocalStatement: PolicyStatement & { name: string } = { name: `${exportLocalPolicyName}-own`, conditions: { routeType: "local" }, action: "accept" };
