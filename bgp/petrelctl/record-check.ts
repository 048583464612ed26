/**
 * `petrelctl ipam check --state-dir DIR --node NAME`, run on a node: the exact check, address by
 * address, of the CNI plugin's allocation records (`DIR/allocations/<address>`, their layout in
 * common/allocation-record.ts) against the pods the API server has bound to that node, the node's
 * blocks and (when given) its pod routes: the kinds the agent counts in
 * petrel_agent_ipam_inconsistencies. Pure.
 */
import { allocationsDirName, decodeRecord, type PodIdentity } from "../../common/allocation-record.ts";
import { containsAddress, formatAddress, parseAddress, type Cidr, type IpAddress } from "../../common/cidr.ts";
import { addressKey, podRef, type Finding, type PodAddress, type RecordEntry } from "./check-model.ts";

export interface AllocationRecord {
  readonly name: string;
  readonly address: IpAddress;
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly pod?: PodIdentity;
}

/** Reads a record the way the plugin writes it (common/allocation-record.ts); undefined when malformed. */
export function parseRecord(entry: RecordEntry): AllocationRecord | undefined {
  if (entry.target === undefined) return undefined;
  const r = decodeRecord(entry.name, entry.target);
  if (r === undefined) return undefined;
  return { name: entry.name, address: r.address, network: r.network, containerId: r.containerId, ifname: r.ifname, ...(r.pod === undefined ? {} : { pod: r.pod }) };
}

export interface RecordCheckInput {
  readonly node: string;
  /** The state directory as the operator named it, for the messages. */
  readonly stateDir: string;
  readonly entries: readonly RecordEntry[];
  /** Pool addresses of every pod in the cluster that holds one (check-model.ts podAddresses). */
  readonly addresses: readonly PodAddress[];
  /** The node's blocks (draining ones too); records outside them are reported. */
  readonly blocks?: readonly Cidr[];
  /** Destinations of the node's pod routes (protocol 89), when they could be read. */
  readonly podRoutes?: readonly string[];
  /** Pod uids of the pods bound to the node that hold addresses: a record naming one is its pod's. */
  readonly podUids?: ReadonlySet<string>;
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
  const path = (name: string) => `${stateDir.replace(/\/+$/, "")}/${allocationsDirName}/${name}`;
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
    // A record naming its pod belongs to that pod while it exists, whatever its status shows yet.
    if (held.has(key) || (r.pod?.uid !== undefined && input.podUids?.has(r.pod.uid) === true)) continue;
    const elsewhere = input.addresses.filter((a) => addressKey(a.address) === key);
    const note = elsewhere.length === 0 ? "" : `; the API shows it on ${elsewhere.map((a) => `${podRef(a.pod)} on ${a.node}`).join(", ")}`;
    const target = input.entries.find((e) => e.name === r.name)?.target;
    findings.push({
      kind: "record-without-pod",
      object: `address ${r.name}`,
      node,
      address: r.name,
      ...(target === undefined ? {} : { record: target }),
      message: `${path(r.name)} records ${r.name} for container ${shortId(r.containerId)} (network ${r.network}, ${r.ifname}), but no pod on ${node} has that address${note}`,
      fix: `A pod that is starting right now looks like this too, so re-run first. If it stays and no sandbox ${shortId(r.containerId)} runs on ${node} (crictl pods -q --no-trunc | grep ${shortId(r.containerId)}), the address leaked: the agent frees it after its grace period when the record names its pod, a CNI GC from the container runtime does too, or free it with petrelctl ipam check --state-dir ${stateDir} --node ${node} -o json > report.json; petrelctl ipam check --release-from-report report.json (it refuses what changed since; by hand: rm ${path(r.name)})`,
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
  if (input.blocks !== undefined) {
    const blocks = input.blocks;
    for (const r of records.values()) {
      if (blocks.some((b) => containsAddress(b, r.address))) continue;
      findings.push({
        kind: "record-outside-blocks",
        object: `address ${r.name}`,
        node,
        address: r.name,
        message: `${path(r.name)} records ${r.name}, which is in none of ${node}'s IPAMBlocks`,
        fix: `Its block was deleted while the pod still ran, or the record was made by hand: another node may get the address. Delete the pod using it (container ${shortId(r.containerId)}), then remove the record if it stays`,
      });
    }
  }
  if (input.podRoutes !== undefined) {
    const routed = new Set(input.podRoutes.flatMap((d) => {
      try {
        return [addressKey(parseAddress(d.replace(/\/(32|128)$/, "")))];
      } catch {
        return [];
      }
    }));
    for (const k of routed) {
      if (records.has(k)) continue;
      const [family, hex] = k.split(":");
      const text = formatAddress({ family: family === "6" ? 6 : 4, value: BigInt(`0x${hex ?? "0"}`) });
      findings.push({
        kind: "route-without-record", object: `route ${text}`, node, address: text,
        message: `${node} routes ${text} to a pod veth (protocol 89), but ${path("")} has no record of it`,
        fix: `A pod still using an address the plugin may hand out again, or a leftover veth: find it with ip route show proto 89 ${text}, and delete its pod (or the veth, ip link del DEV, if no pod uses it)`,
      });
    }
    for (const [k, r] of records) {
      if (routed.has(k)) continue;
      findings.push({
        kind: "record-without-route", object: `address ${r.name}`, node, address: r.name,
        message: `${path(r.name)} records ${r.name} for container ${shortId(r.containerId)}, but ${node} has no pod route to it`,
        fix: `An ADD in progress looks like this, so re-run first. If it stays, the pod's veth is gone: the pod has no network; delete the pod so that it starts again`,
      });
    }
  }
  return { findings, records: records.size };
}
