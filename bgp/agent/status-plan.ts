/**
 * What the agent reports (DESIGN.md: the agent owns its PetrelNode.status and its IPAMBlocks'
 * status): BGP sessions, advertised blocks, IPAM usage, a Ready condition, a heartbeat; per block
 * the addresses allocated, and `observedGeneration` to acknowledge a drain. Pure.
 */
import type { Condition, IPAMBlock, IPAMBlockStatus, PetrelNodeStatus, PetrelNodeStatusBgpSession, PetrelNodeStatusRefusedRoutesItem } from "../../common/api/index.ts";
import { cidrSize, containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import type { PeerStatus } from "../gobgp/types.ts";
import type { DesiredPeer } from "./desired-bgp.ts";
import { canonicalJson } from "../../common/canonical-json.ts";
import { describeIgnored, type IgnoredCidr } from "./cidr-bounds.ts";
import { forwardingCondition, type ForwardingReading } from "./forwarding.ts";
import type { ActiveRefusal } from "./refusal-log.ts";

/** Refusals in force that the status lists (the rest are counted). */
export const maxStatusRefusals = 32;

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
  /** The kernel's Petrel routes and the refusals counted since the agent started. */
  readonly routes?: { installed: number; blackholes: number; refused: ReadonlyMap<string, number> };
  /** The refusals in force, most recent first. */
  readonly refusals?: readonly ActiveRefusal[];
  /** Pools and service CIDRs the agent ignores (cidr-bounds.ts). */
  readonly ignoredCidrs?: readonly IgnoredCidr[];
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
  const ignored = i.ignoredCidrs ?? [];
  const cidrs: Omit<Condition, "lastTransitionTime"> = ignored.length === 0
    ? { type: "CIDRsAccepted", status: "True", reason: "AllAccepted", message: "every pool and service CIDR is used" }
    : { type: "CIDRsAccepted", status: "False", reason: "SomeIgnored", message: describeIgnored(ignored).slice(0, 4000) };
  const since = (c: Omit<Condition, "lastTransitionTime">) => {
    const prev = i.previous?.conditions?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : iso(i.now) };
  };
  const refused = i.routes?.refused ?? new Map<string, number>();
  const refusedRoutes: PetrelNodeStatusRefusedRoutesItem[] = (i.refusals ?? []).slice(0, maxStatusRefusals).map((r) => ({
    ...(r.peer === "" ? {} : { peerIP: r.peer }),
    prefix: r.prefix,
    ...(r.nextHop === "" ? {} : { nextHop: r.nextHop }),
    reason: r.reason,
    message: r.detail.slice(0, 1024),
    firstSeen: iso(new Date(r.firstSeen)),
    lastSeen: iso(new Date(r.lastSeen)),
    count: r.times,
  }));
  return {
    bgpSessions,
    advertisedBlocks: [...i.advertised].sort(),
    ipam: { blocks: i.blocks.length, allocated, capacity },
    conditions: [since(ready), ...(i.forwarding === undefined ? [] : [since(forwardingCondition(i.forwarding))]), since(cidrs)],
    lastHeartbeatTime: iso(i.now),
    routes: {
      installed: i.routes?.installed ?? 0,
      blackholes: i.routes?.blackholes ?? 0,
      refused: [...refused.values()].reduce((a, b) => a + b, 0),
      refusedByReason: Object.fromEntries([...refused].sort(([a], [b]) => (a < b ? -1 : 1))),
    },
    refusedRoutes,
  };
}

/**
 * How `next` differs from `current`: "significant" (sessions, blocks, usage, conditions, which
 * refusals are in force: written soon), "counts" (prefix and route counters, when a refusal was
 * last seen: written with the next significant change or the periodic refresh) or "none" (the
 * heartbeat aside). Counting every route into the status would make every agent write on every
 * block that comes or goes anywhere.
 */
export function statusDiff(current: PetrelNodeStatus | undefined, next: PetrelNodeStatus): "none" | "counts" | "significant" {
  const all = (s: PetrelNodeStatus | undefined) => canonicalJson({ ...s, lastHeartbeatTime: undefined });
  if (all(current) === all(next)) return "none";
  const shape = (s: PetrelNodeStatus | undefined) => canonicalJson({
    ...s,
    lastHeartbeatTime: undefined,
    bgpSessions: s?.bgpSessions?.map((b) => ({ ...b, prefixesReceived: undefined, prefixesAdvertised: undefined })),
    routes: undefined,
    refusedRoutes: s?.refusedRoutes?.map((r) => ({ ...r, lastSeen: undefined, count: undefined })),
  });
  return shape(current) === shape(next) ? "counts" : "significant";
}

/** True when `next` differs from `current` in anything but the heartbeat. */
export function nodeStatusChanged(current: PetrelNodeStatus | undefined, next: PetrelNodeStatus): boolean {
  return statusDiff(current, next) !== "none";
}
