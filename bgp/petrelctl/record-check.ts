/**
 * `petrelctl ipam check --state-dir DIR --node NAME`, run on a node: the exact check, address by
 * address, of the CNI plugin's allocation records (`DIR/allocations/<address>`, each a symlink to
 * `network/containerID/ifname`) against the pods the API server has bound to that node. Pure.
 */
import { parseAddress, type IpAddress } from "../../common/cidr.ts";
import { addressKey, podRef, type Finding, type PodAddress, type RecordEntry } from "./check-model.ts";

export interface AllocationRecord {
  readonly name: string;
  readonly address: IpAddress;
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
}

/** Reads a record the way the plugin writes it (cni-plugin/ipam/allocation.ts); undefined when malformed. */
export function parseRecord(entry: RecordEntry): AllocationRecord | undefined {
  if (entry.target === undefined) return undefined;
  const parts = entry.target.split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  let address: IpAddress;
  try {
    address = parseAddress(entry.name);
  } catch {
    return undefined;
  }
  return { name: entry.name, address, network: parts[0] ?? "", containerId: parts[1] ?? "", ifname: parts[2] ?? "" };
}

export interface RecordCheckInput {
  readonly node: string;
  /** The state directory as the operator named it, for the messages. */
  readonly stateDir: string;
  readonly entries: readonly RecordEntry[];
  /** Pool addresses of every pod in the cluster that holds one (check-model.ts podAddresses). */
  readonly addresses: readonly PodAddress[];
}

export interface RecordCheckResult {
  readonly findings: Finding[];
  readonly records: number;
}

/** Records in address order, malformed ones first (they are reported first). */
function byAddress(a: AllocationRecord | undefined, b: AllocationRecord | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (a.address.family !== b.address.family) return a.address.family - b.address.family;
  return a.address.value < b.address.value ? -1 : a.address.value > b.address.value ? 1 : 0;
}

const shortId = (id: string) => (id.length > 12 ? id.slice(0, 12) : id);

export function checkRecords(input: RecordCheckInput): RecordCheckResult {
  const { node, stateDir } = input;
  const findings: Finding[] = [];
  const path = (name: string) => `${stateDir.replace(/\/+$/, "")}/allocations/${name}`;
  const records = new Map<string, AllocationRecord>();
  const parsed = input.entries
    .filter((e) => !e.name.startsWith(".")) // the plugin's lock and round-robin markers
    .map((entry) => ({ entry, record: parseRecord(entry) }))
    .sort((a, b) => byAddress(a.record, b.record) || (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  for (const { entry, record } of parsed) {
    if (record === undefined) {
      findings.push({
        kind: "bad-record",
        object: `record ${path(entry.name)}`,
        node,
        message: `${path(entry.name)} is not an allocation record: ${entry.target === undefined ? "not a readable symlink" : `target "${entry.target}"`} (the plugin names a record after an address and points it at network/containerID/ifname)`,
        fix: `The plugin ignores it. If nothing but the plugin writes to ${stateDir}, remove it (rm ${path(entry.name)})`,
      });
      continue;
    }
    records.set(addressKey(record.address), record);
  }

  const onNode = input.addresses.filter((a) => a.node === node);
  const held = new Set(onNode.map((a) => addressKey(a.address)));
  for (const [key, r] of records) {
    if (held.has(key)) continue;
    const elsewhere = input.addresses.filter((a) => addressKey(a.address) === key);
    const note = elsewhere.length === 0 ? "" : `; the API shows it on ${elsewhere.map((a) => `${podRef(a.pod)} on ${a.node}`).join(", ")}`;
    findings.push({
      kind: "record-without-pod",
      object: `address ${r.name}`,
      node,
      message: `${path(r.name)} records ${r.name} for container ${shortId(r.containerId)} (network ${r.network}, ${r.ifname}), but no pod on ${node} has that address${note}`,
      fix: `A pod that is starting right now looks like this too, so re-run first. If it stays and no sandbox ${shortId(r.containerId)} runs on ${node} (crictl pods -q --no-trunc | grep ${shortId(r.containerId)}), the address leaked: a CNI GC from the container runtime frees it, or free it yourself with rm ${path(r.name)}`,
    });
  }
  for (const a of onNode) {
    if (records.has(addressKey(a.address))) continue;
    findings.push({
      kind: "pod-without-record",
      object: `Pod ${podRef(a.pod)}`,
      node,
      message: `Pod ${podRef(a.pod)} on ${node} has address ${a.text}, but ${path("")} has no record of it`,
      fix: `The plugin may hand ${a.text} to another pod. Delete the pod (kubectl delete pod -n ${a.pod.namespace} ${a.pod.name}) so that it starts again with a recorded address; if every pod on ${node} shows up here, --state-dir is not the directory the plugin uses (its "stateDir" in the CNI config, default /var/lib/petrel)`,
    });
  }
  return { findings, records: records.size };
}
