/**
 * The name of an IPAMBlock is derived from its CIDR, so that creating the block is the lock: two
 * writers racing for the same range both ask the API server to create the same name, and only
 * one succeeds. The CRD checks the same rule with CEL (crds/ipamblocks.yaml).
 *   198.18.0.64/26   -> 198-18-0-64-26
 *   2001:db8::40/122 -> 2001-db8--40-122
 */
import { formatCidr, type Cidr } from "./cidr.ts";

export function blockNameOf(cidr: Cidr): string {
  return formatCidr(cidr).replace(/[.:/]/g, "-");
}
