/**
 * What `petrelctl ipam check` works on and what it reports. Pods are reduced to the fields the
 * checks read (the host code converts core/v1 Pods), so the checks stay pure and testable.
 */
import { containsAddress, parseAddress, type Cidr, type IpAddress } from "../../common/cidr.ts";

/** The parts of a core/v1 Pod the checks use. */
export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  /** spec.nodeName; undefined while unscheduled. */
  readonly node: string | undefined;
  readonly hostNetwork: boolean;
  /** status.phase */
  readonly phase: string | undefined;
  /** status.podIPs (or status.podIP when podIPs is absent). */
  readonly ips: readonly string[];
  /** metadata.uid */
  readonly uid?: string;
}

/** One entry of `<stateDir>/allocations/`: its name, and its symlink target (undefined when unreadable or not a symlink). */
export interface RecordEntry {
  readonly name: string;
  readonly target: string | undefined;
}

export type FindingKind =
  | "block-invalid"
  | "block-overlap"
  | "block-outside-pool"
  | "block-without-pool"
  | "pod-without-allocation"
  | "duplicate-pod-address"
  | "allocated-without-pod"
  | "record-without-pod"
  | "pod-without-record"
  | "record-outside-blocks"
  | "route-without-record"
  | "record-without-route"
  | "bad-record";

export interface Finding {
  readonly kind: FindingKind;
  /** The object the finding is about, e.g. "IPAMBlock 198-18-0-0-26" or "Pod default/web-1". */
  readonly object: string;
  /** The node concerned, when there is one. */
  readonly node?: string;
  /** For allocated-without-pod: how many addresses the block has allocated without a pod. */
  readonly count?: number;
  /** For findings about one address (node records and routes): the address. */
  readonly address?: string;
  /** For record-without-pod: the record's symlink target, as read (--release-from-report compares it). */
  readonly record?: string;
  readonly message: string;
  /** What the operator should do about it. */
  readonly fix: string;
}

/** A pod address that Petrel is responsible for: inside some pool, on a pod that holds it. */
export interface PodAddress {
  readonly pod: PodInfo;
  readonly node: string;
  readonly text: string;
  readonly address: IpAddress;
}

export const podRef = (p: PodInfo) => `${p.namespace}/${p.name}`;

export const addressKey = (a: IpAddress) => `${a.family}:${a.value.toString(16)}`;

/**
 * A pod holds its addresses from the CNI ADD until the CNI DEL when its sandbox goes: host-network
 * pods have none of Petrel's, unscheduled pods none yet, and Succeeded/Failed pods none any more
 * (the kubelet tears their sandbox down, though status.podIPs stays).
 */
export function holdsAddresses(p: PodInfo): p is PodInfo & { node: string } {
  return !p.hostNetwork && p.node !== undefined && p.node !== "" && p.phase !== "Succeeded" && p.phase !== "Failed";
}

/** The addresses of pods that hold them and lie inside one of `pools`; unreadable IPs are skipped. */
export function podAddresses(pods: readonly PodInfo[], pools: readonly Cidr[]): PodAddress[] {
  const out: PodAddress[] = [];
  for (const pod of pods) {
    if (!holdsAddresses(pod)) continue;
    for (const text of pod.ips) {
      let address: IpAddress;
      try {
        address = parseAddress(text);
      } catch {
        continue;
      }
      if (pools.some((c) => containsAddress(c, address))) out.push({ pod, node: pod.node, text, address });
    }
  }
  return out;
}
