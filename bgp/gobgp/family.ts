/** Address families as the client names them and as gobgpd's proto spells them (AFI/SAFI). */
import { InvalidInputError } from "../../common/errors.ts";
import type { AddressFamily } from "./types.ts";

export interface ApiFamily {
  afi: string;
  safi: string;
}

const toApi: Record<AddressFamily, ApiFamily> = {
  "ipv4-unicast": { afi: "AFI_IP", safi: "SAFI_UNICAST" },
  "ipv6-unicast": { afi: "AFI_IP6", safi: "SAFI_UNICAST" },
};

export const addressFamilies: readonly AddressFamily[] = ["ipv4-unicast", "ipv6-unicast"];

export function apiFamily(family: AddressFamily): ApiFamily {
  return { ...toApi[family] };
}

/** The client's name for an API family, or undefined for families the client does not handle. */
export function familyFromApi(value: unknown): AddressFamily | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { afi, safi } = value as { afi?: unknown; safi?: unknown };
  // Enums arrive as names (loader option `enums: String`); numbers are accepted for robustness.
  const isUnicast = safi === "SAFI_UNICAST" || safi === 1;
  if (!isUnicast) return undefined;
  if (afi === "AFI_IP" || afi === 1) return "ipv4-unicast";
  if (afi === "AFI_IP6" || afi === 2) return "ipv6-unicast";
  return undefined;
}

export function parseFamily(value: string, field: string): AddressFamily {
  if (value === "ipv4-unicast" || value === "ipv6-unicast") return value;
  throw new InvalidInputError(field, `unknown address family "${value}": use "ipv4-unicast" or "ipv6-unicast"`);
}

export function familyOfIpVersion(version: 4 | 6): AddressFamily {
  return version === 4 ? "ipv4-unicast" : "ipv6-unicast";
}
