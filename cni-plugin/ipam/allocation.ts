import { formatAddress, parseAddress, type IpAddress } from "../../common/cidr.ts";

/** One address handed to one attachment, keyed by (network, container ID, interface name). */
export interface Allocation {
  address: IpAddress;
  network: string;
  containerId: string;
  ifname: string;
}

/**
 * Records are stored as symlinks: the link's name is the address (so creating it is the atomic
 * reservation) and its target encodes the owner. None of the three parts may contain "/":
 * network names and container IDs are validated to letters, digits, "_", "." and "-".
 */
export function encodeOwner(a: Pick<Allocation, "network" | "containerId" | "ifname">): string {
  return `${a.network}/${a.containerId}/${a.ifname}`;
}

export function decodeRecord(addressText: string, owner: string): Allocation | undefined {
  const parts = owner.split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  let address: IpAddress;
  try {
    address = parseAddress(addressText);
  } catch {
    return undefined;
  }
  return { address, network: parts[0] ?? "", containerId: parts[1] ?? "", ifname: parts[2] ?? "" };
}

export function recordName(address: IpAddress): string {
  return formatAddress(address);
}

export function sameOwner(
  a: Pick<Allocation, "network" | "containerId" | "ifname">,
  b: Pick<Allocation, "network" | "containerId" | "ifname">,
): boolean {
  return a.network === b.network && a.containerId === b.containerId && a.ifname === b.ifname;
}
