/**
 * The agent's continuous IPAM check of its own node (DESIGN.md flow 5): the CNI plugin's records
 * against the Pods bound to the node, the node's blocks and the kernel's pod routes, and which
 * records to free because their pod is gone. Pure: the edges read the records, the Pods and the
 * routes, and carry the releases out under the plugin's locks (bgp/agent/pod-gc.ts).
 *
 * A record is freed only when all of these hold:
 * - the agent's view of the node's Pods is synced (a partial list would make every pod look gone);
 * - the record carries the pod's identity (namespace, name, uid: format 2 with the runtime's
 *   CNI_ARGS); records without it are counted, never freed;
 * - no Pod bound to the node is that pod (same uid, else same namespace and name) and still holds
 *   that address: a pod with no address in its status yet holds all of its records, one with
 *   addresses only those (a sandbox that died and was re-created without a CNI DEL left its old
 *   record behind); Succeeded and Failed pods hold none (their sandboxes are torn down);
 * - that has been so, with the record unchanged, for the grace period, on the agent's own clock.
 */
import type { DecodedRecord } from "../../common/allocation-record.ts";
import { containsAddress, formatAddress, parseAddress, tryParseCidr, type Cidr, type IpAddress } from "../../common/cidr.ts";

export const inconsistencyKinds = [
  "record_without_pod",
  "pod_without_record",
  "record_outside_blocks",
  "route_without_record",
  "record_without_route",
] as const;
export type InconsistencyKind = (typeof inconsistencyKinds)[number];

/** The parts of a core/v1 Pod bound to this node that the check reads. */
export interface NodePod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly phase: string | undefined;
  readonly hostNetwork: boolean;
  readonly ips: readonly string[];
}

export interface RecordSeen {
  /** The entry's name (an address when it is a record). */
  readonly name: string;
  readonly record: DecodedRecord | undefined;
}

export interface ConsistencyInput {
  readonly records: readonly RecordSeen[];
  /** undefined while the Pod view is not synced: nothing is freed, pod-based kinds are not counted. */
  readonly pods: readonly NodePod[] | undefined;
  /** The node's blocks, draining ones included. */
  readonly blocks: readonly string[];
  /** Pool CIDRs: a pod address outside every pool is not Petrel's. */
  readonly pools: readonly string[];
  /** Destinations of the node's pod routes (the plugin's route protocol), e.g. "198.18.0.5/32" or "198.18.0.5". */
  readonly podRoutes: readonly string[] | undefined;
  /** Record key → when it was first seen without its pod (the previous result's `since`). */
  readonly since: ReadonlyMap<string, number>;
  readonly now: number;
  readonly graceMs: number;
}

export interface Release {
  readonly address: IpAddress;
  readonly record: DecodedRecord;
  /** The key the record was tracked under (its address and content): the edge re-checks it. */
  readonly key: string;
  readonly missingForMs: number;
}

export interface ConsistencyResult {
  /** Counts per kind; undefined for kinds that could not be checked (Pods or routes unknown). */
  readonly counts: Readonly<Record<InconsistencyKind, number | undefined>>;
  readonly releases: readonly Release[];
  readonly since: ReadonlyMap<string, number>;
  /** When the next record becomes due for release, if one is waiting. */
  readonly wakeAfterMs: number | undefined;
}

const holds = (p: NodePod) => !p.hostNetwork && p.phase !== "Succeeded" && p.phase !== "Failed";

function tryAddress(text: string): IpAddress | undefined {
  try {
    return parseAddress(text.replace(/\/(32|128)$/, ""));
  } catch {
    return undefined;
  }
}

function tryCidrs(texts: readonly string[]): Cidr[] {
  return texts.flatMap((t) => tryParseCidr(t) ?? []);
}

/** The identity under which a record is tracked: a record rewritten for another pod starts afresh. */
export function recordKey(r: DecodedRecord): string {
  return `${formatAddress(r.address)} ${r.network}/${r.containerId}/${r.ifname} ${r.pod?.namespace ?? ""}/${r.pod?.name ?? ""}/${r.pod?.uid ?? ""}`;
}

export function checkConsistency(i: ConsistencyInput): ConsistencyResult {
  const blocks = tryCidrs(i.blocks);
  const pools = tryCidrs(i.pools);
  const records = i.records.flatMap((r) => (r.record === undefined ? [] : [r.record]));
  const recorded = new Set(records.map((r) => formatAddress(r.address)));
  const counts: Record<InconsistencyKind, number | undefined> = {
    record_without_pod: undefined,
    pod_without_record: undefined,
    record_outside_blocks: records.filter((r) => !blocks.some((b) => containsAddress(b, r.address))).length,
    route_without_record: undefined,
    record_without_route: undefined,
  };
  if (i.podRoutes !== undefined) {
    const routed = new Set(i.podRoutes.flatMap((d) => {
      const a = tryAddress(d);
      return a === undefined ? [] : [formatAddress(a)];
    }));
    counts.route_without_record = [...routed].filter((a) => !recorded.has(a)).length;
    counts.record_without_route = [...recorded].filter((a) => !routed.has(a)).length;
  }
  const since = new Map<string, number>();
  const releases: Release[] = [];
  let wakeAt = Infinity;
  if (i.pods !== undefined) {
    const live = i.pods.filter(holds);
    const byUid = new Map(live.map((p) => [p.uid, p]));
    const byName = new Map(live.map((p) => [`${p.namespace}/${p.name}`, p]));
    const holdsAddress = (p: NodePod | undefined, a: IpAddress) => {
      if (p === undefined) return false;
      const ips = p.ips.flatMap((ip) => {
        const x = tryAddress(ip);
        return x === undefined ? [] : [formatAddress(x)];
      });
      return ips.length === 0 || ips.includes(formatAddress(a));
    };
    const podAddresses = new Set(live.flatMap((p) => p.ips.flatMap((ip) => {
      const a = tryAddress(ip);
      return a === undefined || !pools.some((c) => containsAddress(c, a)) ? [] : [formatAddress(a)];
    })));
    let withoutPod = 0;
    for (const r of records) {
      const pod = r.pod;
      const present = pod === undefined
        ? podAddresses.has(formatAddress(r.address)) // no identity: the best we can tell is the address
        : holdsAddress(pod.uid !== undefined ? byUid.get(pod.uid) : byName.get(`${pod.namespace}/${pod.name}`), r.address);
      if (present) continue;
      withoutPod++;
      if (pod === undefined) continue; // counted, never freed
      const key = recordKey(r);
      const first = i.since.get(key) ?? i.now;
      since.set(key, first);
      const due = first + i.graceMs;
      if (due <= i.now) releases.push({ address: r.address, record: r, key, missingForMs: i.now - first });
      else wakeAt = Math.min(wakeAt, due);
    }
    counts.record_without_pod = withoutPod;
    counts.pod_without_record = [...podAddresses].filter((a) => !recorded.has(a)).length;
  }
  return { counts, releases, since: i.pods === undefined ? i.since : since, wakeAfterMs: wakeAt === Infinity ? undefined : wakeAt - i.now };
}
