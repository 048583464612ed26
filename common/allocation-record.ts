/**
 * The CNI plugin's allocation records: the one definition of their directory, file names and
 * layout, read by the plugin, the agent and petrelctl (docs/cni-plugin.md, "Node-local IPAM").
 *
 * `<stateDir>/allocations/<address>` is a symlink whose target describes the owner. symlink(2)
 * creates name and content in one step and fails if the name exists, so creating a record is the
 * atomic reservation of its address; a process killed at any point leaves a whole record or none.
 *
 * Target formats:
 * - 1 (Petrel 0.1): `network/containerID/ifname`.
 * - 2: a JSON object `{"v":2,"network":…,"containerID":…,"ifname":…,"pod":{"namespace":…,"name":…,"uid":…}}`;
 *   `pod` is present when the runtime named the pod (CNI_ARGS K8S_POD_NAMESPACE, K8S_POD_NAME,
 *   K8S_POD_UID). The agent frees addresses of pods that are gone only for records that carry it.
 *
 * The plugin rewrites format-1 records as format 2 once, under the exclusive lock, the first time
 * it runs on a directory without the format marker (`.format`). Names starting with "." are never
 * records: the locks, the marker, the round-robin hints and temporaries.
 */
import { formatAddress, parseAddress, type IpAddress } from "./cidr.ts";

export const allocationsDirName = "allocations";
/** ADD holds it exclusively while it reads the node's blocks and reserves (short). */
export const allocLockName = ".alloc.lock";
/**
 * ADD and DEL hold it shared for their whole run; GC, the format migration and the agent's drain
 * count hold it exclusively, so none of them sees an ADD half done. Both are flock(2) locks, which
 * the kernel releases when the holder dies.
 */
export const gateLockName = ".gate.lock";
/** Petrel 0.1's O_EXCL lock file: ignored, removed by the migration. */
export const legacyLockName = ".lock";
export const formatMarkerName = ".format";
export const currentRecordFormat = 2;

/**
 * The drain barrier, as a command line (util-linux flock(1), so that the agent, a Node program,
 * needs no native code): takes both locks exclusively in the plugin's order, alloc then gate, and
 * runs `argv` while holding them. It returns only when every ADD that may have read an older
 * blocks.json has finished (made its record durable or rolled back); ADDs after it read the new
 * file. Each lock is waited for at most `timeoutSeconds`.
 */
export function lockedCommand(stateDir: string, timeoutSeconds: number, argv: readonly string[]): string[] {
  const dir = allocationsDir(stateDir);
  const w = String(timeoutSeconds);
  return ["flock", "--exclusive", "--wait", w, `${dir}/${allocLockName}`, "flock", "--exclusive", "--wait", w, `${dir}/${gateLockName}`, ...argv];
}

export function allocationsDir(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, "")}/${allocationsDirName}`;
}

/** True for a name in the allocations directory that is meant to be a record. */
export function isRecordName(name: string): boolean {
  return !name.startsWith(".");
}

export interface PodIdentity {
  readonly namespace: string;
  readonly name: string;
  /** metadata.uid; absent when the runtime did not pass K8S_POD_UID. */
  readonly uid?: string;
}

/** One address handed to one attachment, keyed by (network, container ID, interface name). */
export interface Allocation {
  readonly address: IpAddress;
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly pod?: PodIdentity;
}

export interface DecodedRecord extends Allocation {
  /** The record's target format (1: written by Petrel 0.1, without pod identity). */
  readonly format: 1 | 2;
}

export type Owner = Pick<Allocation, "network" | "containerId" | "ifname">;

export function recordName(address: IpAddress): string {
  return formatAddress(address);
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.network === b.network && a.containerId === b.containerId && a.ifname === b.ifname;
}

/** The symlink target of a record, in the current format. */
export function encodeRecordTarget(a: Allocation): string {
  const doc: Record<string, unknown> = { v: 2, network: a.network, containerID: a.containerId, ifname: a.ifname };
  if (a.pod !== undefined) doc["pod"] = a.pod.uid === undefined ? { namespace: a.pod.namespace, name: a.pod.name } : { ...a.pod };
  return JSON.stringify(doc);
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/** A record's symlink target, either format; undefined when it is not one. */
export function decodeRecordTarget(target: string): Omit<DecodedRecord, "address"> | undefined {
  if (target.startsWith("{")) {
    let raw: unknown;
    try {
      raw = JSON.parse(target);
    } catch {
      return undefined;
    }
    if (typeof raw !== "object" || raw === null) return undefined;
    const o = raw as Record<string, unknown>;
    if (o["v"] !== 2 || !nonEmpty(o["network"]) || !nonEmpty(o["containerID"]) || !nonEmpty(o["ifname"])) return undefined;
    const out = { format: 2 as const, network: o["network"], containerId: o["containerID"], ifname: o["ifname"] };
    const pod = o["pod"];
    if (pod === undefined) return out;
    if (typeof pod !== "object" || pod === null) return undefined;
    const p = pod as Record<string, unknown>;
    if (!nonEmpty(p["namespace"]) || !nonEmpty(p["name"]) || (p["uid"] !== undefined && !nonEmpty(p["uid"]))) return undefined;
    return { ...out, pod: { namespace: p["namespace"], name: p["name"], ...(nonEmpty(p["uid"]) ? { uid: p["uid"] } : {}) } };
  }
  const parts = target.split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  const [network, containerId, ifname] = parts as [string, string, string];
  return { format: 1, network, containerId, ifname };
}

/** A record from its name and symlink target; undefined when either is not one (a stray file). */
export function decodeRecord(name: string, target: string): DecodedRecord | undefined {
  if (!isRecordName(name)) return undefined;
  let address: IpAddress;
  try {
    address = parseAddress(name);
  } catch {
    return undefined;
  }
  if (recordName(address) !== name) return undefined; // not canonical: not written by the plugin
  const rest = decodeRecordTarget(target);
  return rest === undefined ? undefined : { address, ...rest };
}

/** The pod named by CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID), when both names are there. */
export function podFromCniArgs(args: Readonly<Record<string, string>>): PodIdentity | undefined {
  const namespace = args["K8S_POD_NAMESPACE"];
  const name = args["K8S_POD_NAME"];
  if (!nonEmpty(namespace) || !nonEmpty(name)) return undefined;
  const uid = args["K8S_POD_UID"];
  return nonEmpty(uid) ? { namespace, name, uid } : { namespace, name };
}
