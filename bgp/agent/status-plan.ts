/**
 * What the agent reports (DESIGN.md: the agent owns its PetrelNode.status and its IPAMBlocks'
 * status): BGP sessions, advertised blocks, IPAM usage, a Ready condition, a heartbeat; per block
 * the addresses allocated, and `observedGeneration` to acknowledge a drain. Pure.
 */
import type { Condition, IPAMBlock, IPAMBlockStatus, PetrelNodeStatus, PetrelNodeStatusBgpSession } from "../../common/api/index.ts";
import { cidrSize, containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import type { PeerStatus } from "../gobgp/types.ts";
import type { DesiredPeer } from "./desired-bgp.ts";
import { canonicalJson } from "../../common/canonical-json.ts";
import { forwardingCondition, type ForwardingReading } from "./forwarding.ts";

/** Addresses allocated per block CIDR, from the CNI plugin's allocation records (their names). */
export function countAllocations(addresses: readonly string[], blocks: readonly string[]): Map<string, number> {
  const parsed = blocks.map((b) => ({ b, c: parseCidr(b) }));
  const out = new Map(blocks.map((b) => [b, 0]));
  for (const text of addresses) {
    let addr;
    try {
      addr = parseAddress(text);
    } catch {
      continue;
    }
    const hit = parsed.find((p) => containsAddress(p.c, addr));
    if (hit !== undefined) out.set(hit.b, (out.get(hit.b) ?? 0) + 1);
  }
  return out;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The status a block should carry; equal to the current one (ignoring lastUpdate) means no write. */
export function blockStatus(block: IPAMBlock, allocated: number, now: Date): IPAMBlockStatus {
  return {
    allocated,
    capacity: Number(cidrSize(parseCidr(block.spec.cidr))),
    observedGeneration: block.metadata.generation ?? 1,
    lastUpdate: iso(now),
  };
}

export function blockStatusChanged(current: IPAMBlockStatus | undefined, next: IPAMBlockStatus): boolean {
  return current?.allocated !== next.allocated || current?.capacity !== next.capacity || current?.observedGeneration !== next.observedGeneration;
}

export interface NodeStatusInputs {
  readonly peers: readonly DesiredPeer[];
  readonly sessions: readonly PeerStatus[];
  readonly advertised: readonly string[];
  readonly blocks: readonly IPAMBlock[];
  readonly allocations: ReadonlyMap<string, number>;
  /** Why the node is not Ready, or undefined when it is. */
  readonly notReady: { reason: string; message: string } | undefined;
  /** This pass's forwarding check; undefined when it could not run (no IPForwarding condition). */
  readonly forwarding?: readonly ForwardingReading[] | undefined;
  readonly previous: PetrelNodeStatus | undefined;
  readonly now: Date;
}

export function petrelNodeStatus(i: NodeStatusInputs): PetrelNodeStatus {
  const byAddress = new Map(i.sessions.map((s) => [s.address, s]));
  const previousSince = new Map((i.previous?.bgpSessions ?? []).map((s) => [s.peerIP, s]));
  const bgpSessions: PetrelNodeStatusBgpSession[] = i.peers.map((p) => {
    const s = byAddress.get(p.address);
    const state = s === undefined || s.state === "Unknown" ? "Idle" : s.state;
    const prev = previousSince.get(p.address);
    // gobgpd only knows when a session became Established; for other states keep the time the
    // agent first saw the state.
    const since = s?.since !== undefined ? iso(s.since) : prev?.state === state && prev.since !== undefined ? prev.since : iso(i.now);
    return {
      peerIP: p.address,
      asNumber: p.asn,
      type: p.kind,
      state,
      since,
      prefixesReceived: s?.prefixes.accepted ?? 0,
      prefixesAdvertised: s?.prefixes.advertised ?? 0,
    };
  });
  const capacity = i.blocks.reduce((n, b) => n + Number(cidrSize(parseCidr(b.spec.cidr))), 0);
  const allocated = [...i.allocations.values()].reduce((a, b) => a + b, 0);
  const ready: Omit<Condition, "lastTransitionTime"> = i.notReady === undefined
    ? { type: "Ready", status: "True", reason: "AgentReady", message: "gobgpd is configured, routes are programmed and the node's blocks are written for the CNI plugin" }
    : { type: "Ready", status: "False", reason: i.notReady.reason, message: i.notReady.message };
  const conditions = [ready, ...(i.forwarding === undefined ? [] : [forwardingCondition(i.forwarding)])].map((c) => {
    const prev = i.previous?.conditions?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : iso(i.now) };
  });
  return {
    bgpSessions,
    advertisedBlocks: [...i.advertised].sort(),
    ipam: { blocks: i.blocks.length, allocated, capacity },
    conditions,
    lastHeartbeatTime: iso(i.now),
  };
}

/** True when `next` differs from `current` in anything but the heartbeat. */
export function nodeStatusChanged(current: PetrelNodeStatus | undefined, next: PetrelNodeStatus): boolean {
  const strip = (s: PetrelNodeStatus | undefined) => canonicalJson({ ...s, lastHeartbeatTime: undefined });
  return strip(current) !== strip(next);
}
