/**
 * Node-wide IP forwarding, which a routed pod network needs on every node: IPv4 forwarding is
 * decided by the interface a packet arrives on, so with `net.ipv4.ip_forward=0` a node drops
 * traffic from other nodes (and hostPort traffic) for its pods. The CNI plugin turns it on at
 * every ADD; the agent checks it on every full pass, turns it on where it can write /proc/sys
 * (not in a container whose /proc/sys is read-only, as in the chart), and otherwise reports it
 * (docs/agent.md, "IP forwarding"). Pure.
 */
import type { Condition, IPAMBlock } from "../../common/api/index.ts";
import { tryParseCidr, type IpFamily } from "../../common/cidr.ts";

export interface ForwardingReading {
  readonly family: IpFamily;
  /** Forwarding is on after the agent's check (and attempt). */
  readonly enabled: boolean;
  /** It was off and the agent turned it on just now. */
  readonly turnedOn: boolean;
  /** Why it could not be read or turned on. */
  readonly error?: string;
}

export const forwardingSysctl: Readonly<Record<IpFamily, string>> = {
  4: "net.ipv4.ip_forward",
  6: "net.ipv6.conf.all.forwarding",
};

/** The families this node forwards pod traffic for: those of its own blocks. */
export function forwardingFamilies(blocks: readonly IPAMBlock[]): IpFamily[] {
  const families = new Set<IpFamily>();
  for (const b of blocks) {
    // The CRD validates the CIDR; a block that still does not parse forwards nothing.
    const cidr = tryParseCidr(b.spec.cidr);
    if (cidr !== undefined) families.add(cidr.family);
  }
  return [...families].sort();
}

/** The PetrelNode condition `IPForwarding` for the readings of this pass. */
export function forwardingCondition(readings: readonly ForwardingReading[]): Omit<Condition, "lastTransitionTime"> {
  const off = readings.filter((r) => !r.enabled);
  if (off.length === 0) {
    const names = readings.map((r) => forwardingSysctl[r.family]);
    return {
      type: "IPForwarding",
      status: "True",
      reason: "Enabled",
      message: names.length === 0 ? "the node has no blocks yet" : `${names.join(" and ")} on`,
    };
  }
  const what = off.map((r) => `${forwardingSysctl[r.family]} is 0${r.error === undefined ? "" : ` and the agent cannot set it (${r.error})`}`).join("; ");
  const fix = off.map((r) => `sysctl -w ${forwardingSysctl[r.family]}=1`).join(" and ");
  return {
    type: "IPForwarding",
    status: "False",
    reason: "ForwardingDisabled",
    message: `${what}: this node drops traffic from other nodes and host ports to its pods. The petrel CNI plugin turns it on at the next pod ADD; to fix it now run ${fix} on the node and persist it in /etc/sysctl.d/`,
  };
}
