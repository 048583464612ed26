/**
 * The name of an IPAMBlock is derived from its CIDR, so that creating the block is the lock: two
 * writers racing for the same range both ask the API server to create the same name, and only
 * one succeeds. The CRD checks the same rule with CEL (crds/ipamblocks.yaml).
 *   198.18.0.64/26   -> 198-18-0-64-26
 *   2001:db8::40/122 -> 2001-db8--40-122
 * The name is therefore also enough to know the CIDR (cidrOfBlockName): agents watch only the
 * blocks' metadata (name and the labels below), not whole objects.
 */
import { formatCidr, tryParseCidr, type Cidr } from "./cidr.ts";

/** Label on every IPAMBlock: the node that owns it (= spec.node; crds/admission/ipamblock-labels.yaml). */
export const blockNodeLabel = "petrel.dev/node";
/** Label on every IPAMBlock: its pool (= spec.pool). */
export const blockPoolLabel = "petrel.dev/pool";

export function blockNameOf(cidr: Cidr): string {
  return formatCidr(cidr).replace(/[.:/]/g, "-");
}

/** The CIDR an IPAMBlock's name stands for, or undefined when the name is not a block name. */
export function cidrOfBlockName(name: string): Cidr | undefined {
  const v4 = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,2})$/.exec(name);
  const last = name.lastIndexOf("-");
  const text = v4 !== null ? `${v4[1]}.${v4[2]}.${v4[3]}.${v4[4]}/${v4[5]}` : `${name.slice(0, last).replaceAll("-", ":")}/${name.slice(last + 1)}`;
  const c = tryParseCidr(text);
  return c !== undefined && blockNameOf(c) === name ? c : undefined;
}
