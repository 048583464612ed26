import type { IpAddress } from "../common/cidr.ts";
import { gatewayFor, hostPrefix, hostVethMac, podGatewayV4, podGatewayV6 } from "./pod-wiring.ts";
import { hasInterfaceMtu, isPre1, type SpecVersion } from "./spec-version.ts";

export interface CniInterface {
  name: string;
  mac: string;
  sandbox?: string;
  mtu?: number;
}

export interface CniIpConfig {
  version?: "4" | "6";
  address: string;
  gateway: string;
  interface: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: Record<string, never>;
}

export interface AddOutcome {
  hostVeth: string;
  ifname: string;
  containerMac: string;
  netns: string;
  mtu: number;
  addresses: IpAddress[];
}

/**
 * The ADD result in the caller's spec version. Interface 0 is the host veth, 1 the pod side;
 * 0.3.x/0.4.0 results carry `version` on each IP, 1.x results do not; 1.1.0 adds interface `mtu`.
 */
export function buildAddResult(version: SpecVersion, o: AddOutcome): CniResult {
  const pre1 = isPre1(version);
  const host: CniInterface = { name: o.hostVeth, mac: hostVethMac };
  const pod: CniInterface = { name: o.ifname, mac: o.containerMac, sandbox: o.netns };
  if (hasInterfaceMtu(version)) {
    host.mtu = o.mtu;
    pod.mtu = o.mtu;
  }
  const ips = o.addresses.map((a): CniIpConfig => {
    const ip: CniIpConfig = { address: hostPrefix(a), gateway: gatewayFor(a), interface: 1 };
    return pre1 ? { version: a.family === 4 ? "4" : "6", ...ip } : ip;
  });
  const routes: CniRoute[] = [];
  if (o.addresses.some((a) => a.family === 4)) routes.push({ dst: "0.0.0.0/0", gw: podGatewayV4 });
  if (o.addresses.some((a) => a.family === 6)) routes.push({ dst: "::/0", gw: podGatewayV6 });
  return { cniVersion: version, interfaces: [host, pod], ips, routes, dns: {} };
}

/** The addresses Petrel's ADD result assigned to the pod interface (for CHECK). */
export function resultAddresses(prevResult: Record<string, unknown>): string[] {
  const ips = prevResult["ips"];
  if (!Array.isArray(ips)) return [];
  return ips
    .map((ip: unknown) => (typeof ip === "object" && ip !== null ? (ip as { address?: unknown }).address : undefined))
    .filter((a): a is string => typeof a === "string");
}
