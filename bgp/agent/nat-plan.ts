/**
 * natOutgoing (DESIGN.md, data plane): traffic from a natOutgoing pool's pods to destinations
 * outside every pool is masqueraded to the node's address. One nftables table owned by the agent,
 * replaced whole on each change (atomic in one `nft -f` transaction). Pure; IPv4 for now, like
 * the CNI plugin.
 */
import type { IPPool } from "../../common/api/index.ts";
import { formatCidr, tryParseCidr, type Cidr } from "../../common/cidr.ts";

export const natTable = "petrel_nat";

function v4(pools: readonly IPPool[]): { pool: IPPool; cidr: Cidr }[] {
  return pools.flatMap((pool) => {
    const cidr = tryParseCidr(pool.spec.cidr);
    return cidr?.family === 4 ? [{ pool, cidr }] : [];
  });
}

/** The `nft -f` script that makes the table what the pools ask for (or removes it). */
export function natRuleset(pools: readonly IPPool[]): string {
  const all = v4(pools);
  const nat = all.filter((p) => p.pool.spec.natOutgoing === true);
  // "add table" then "delete table" removes it whether or not it existed.
  const lines = [`add table ip ${natTable}`, `delete table ip ${natTable}`];
  if (nat.length > 0) {
    const list = (xs: { cidr: Cidr }[]) => [...new Set(xs.map((x) => formatCidr(x.cidr)))].sort().join(", ");
    lines.push(
      `table ip ${natTable} {`,
      `  set pools { type ipv4_addr; flags interval; auto-merge; elements = { ${list(all)} } }`,
      `  set nat_pools { type ipv4_addr; flags interval; auto-merge; elements = { ${list(nat)} } }`,
      "  chain postrouting {",
      "    type nat hook postrouting priority srcnat; policy accept;",
      "    ip saddr @nat_pools ip daddr != @pools masquerade",
      "  }",
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}
