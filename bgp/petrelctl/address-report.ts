/**
 * `petrelctl ipam show --ip ADDR`: which pool, block, node and pod hold an address, and, from the
 * node itself, the CNI plugin's allocation record, the pod's host veth and whether its /32 route
 * is there. The cluster part comes from the API; the node part from `ipam show --ip --state-dir`
 * run on that node (petrelctl runs it there through `kubectl exec`). Pure.
 */
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { containsAddress, parseAddress, type IpAddress } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { decodeRecordTarget, type PodIdentity } from "../../common/allocation-record.ts";
import { hostVethName } from "../../common/pod-veth.ts";
import type { PodInfo } from "./check-model.ts";
import { blockCapacity, tryCidr } from "./ipam-show.ts";

/** What the node itself says, as gathered there (host/node-facts.ts). */
export interface NodeRawFacts {
  readonly node: string;
  readonly stateDir: string;
  /** The allocation record's symlink target; undefined when there is no record for the address. */
  readonly record: string | undefined;
  /** `ip -j route show exact ADDR/32` on the node. */
  readonly routes: readonly { readonly dst?: string; readonly dev?: string; readonly protocol?: string | number; readonly scope?: string; readonly type?: string }[];
  /** `ip -j link show` of the expected host veth; undefined when it does not exist (or no record named one). */
  readonly link: { readonly ifname: string; readonly operstate?: string } | undefined;
}

export interface NodeFacts {
  readonly node: string;
  readonly record: { readonly target: string; readonly network?: string; readonly containerId?: string; readonly ifname?: string; readonly pod?: PodIdentity } | undefined;
  /** The host veth the plugin names for the record's attachment (common/pod-veth.ts). */
  readonly hostVeth: string | undefined;
  readonly hostVethState: string | undefined;
  readonly route: { readonly dev: string | undefined; readonly protocol: string | undefined; readonly text: string } | undefined;
}

export interface AddressReport {
  readonly address: string;
  readonly pool: { readonly name: string; readonly cidr: string; readonly disabled: boolean } | undefined;
  readonly block: { readonly name: string; readonly cidr: string; readonly node: string; readonly draining: boolean; readonly allocated: number | undefined; readonly capacity: number } | undefined;
  readonly pods: readonly { readonly namespace: string; readonly name: string; readonly node: string | undefined; readonly phase: string | undefined }[];
  /** From the node; `unavailable` says why there is none (no node, not reachable, ...). */
  readonly nodeFacts: NodeFacts | { readonly unavailable: string } | undefined;
  /** What looks wrong, each with what to do. Empty: the address is consistently in use (or consistently free). */
  readonly findings: readonly string[];
  /** The address is in use: a block holds it and a pod or a record says so. */
  readonly inUse: boolean;
}

export function parseIpFlag(text: string | undefined): IpAddress {
  if (text === undefined || text === "") throw new InvalidInputError("--ip", "is required: the pod address to look up, e.g. --ip 10.244.1.7");
  try {
    return parseAddress(text, "--ip");
  } catch {
    throw new InvalidInputError("--ip", `"${text}" is not an IPv4 or IPv6 address; pass one address (no prefix length), e.g. --ip 10.244.1.7`);
  }
}

/** Turns what the node said into facts: the record's attachment, the veth it implies, the route. */
export function nodeFacts(raw: NodeRawFacts): NodeFacts {
  let record: NodeFacts["record"];
  let hostVeth: string | undefined;
  if (raw.record !== undefined) {
    // Either record format (common/allocation-record.ts); an unexpected shape is shown as it is
    // rather than guessed at.
    const d = decodeRecordTarget(raw.record);
    if (d !== undefined) {
      record = { target: raw.record, network: d.network, containerId: d.containerId, ifname: d.ifname, ...(d.pod === undefined ? {} : { pod: d.pod }) };
      hostVeth = hostVethName(d.network, d.containerId, d.ifname);
    } else {
      record = { target: raw.record };
    }
  }
  const r = raw.routes.find((x) => x.type === undefined || x.type === "unicast") ?? raw.routes[0];
  const route = r === undefined ? undefined : {
    dev: r.dev,
    protocol: r.protocol === undefined ? undefined : String(r.protocol),
    text: [r.type !== undefined && r.type !== "unicast" ? r.type : "", r.dst ?? "", r.dev === undefined ? "" : `dev ${r.dev}`, r.scope === undefined ? "" : `scope ${r.scope}`, r.protocol === undefined ? "" : `proto ${String(r.protocol)}`].filter((x) => x !== "").join(" "),
  };
  return { node: raw.node, record, hostVeth, hostVethState: raw.link?.operstate, route };
}

export function addressReport(
  address: IpAddress,
  addressText: string,
  input: { pools: readonly IPPool[]; blocks: readonly IPAMBlock[]; pods: readonly PodInfo[]; node: NodeFacts | { unavailable: string } | undefined },
): AddressReport {
  const holds = (cidrText: string) => {
    const c = tryCidr(cidrText);
    return c !== undefined && containsAddress(c, address);
  };
  const p = input.pools.find((x) => holds(x.spec.cidr));
  const b = input.blocks.find((x) => holds(x.spec.cidr));
  const pods = input.pods
    .filter((x) => !x.hostNetwork && x.ips.some((ip) => {
      try {
        return parseAddress(ip).value === address.value && parseAddress(ip).family === address.family;
      } catch {
        return false;
      }
    }))
    .map((x) => ({ namespace: x.namespace, name: x.name, node: x.node, phase: x.phase }));
  const findings: string[] = [];
  if (p === undefined) {
    const pools = input.pools.map((x) => `${x.metadata.name} ${x.spec.cidr}`).join(", ");
    findings.push(`${addressText} is in no IPPool (${pools === "" ? "there are none" : pools}): it is not a Petrel pod address`);
  } else if (b === undefined) {
    findings.push(`${addressText} is in pool ${p.metadata.name} but in no IPAMBlock: no node holds it, so no pod can have it (kubectl get ipamblocks)`);
  }
  const facts = input.node;
  if (b !== undefined) {
    for (const pod of pods) {
      if (pod.node !== undefined && pod.node !== b.spec.node) {
        findings.push(`pod ${pod.namespace}/${pod.name} runs on ${pod.node}, but block ${b.spec.cidr} belongs to ${b.spec.node}: its traffic is routed to the wrong node`);
      }
    }
    if (pods.length > 1) findings.push(`${pods.length} pods report ${addressText}: ${pods.map((x) => `${x.namespace}/${x.name}`).join(", ")}`);
    if (facts !== undefined && "unavailable" in facts) {
      findings.push(`no facts from node ${b.spec.node}: ${facts.unavailable}`);
    } else if (facts !== undefined) {
      const running = pods.some((x) => x.phase === "Running" || x.phase === "Pending");
      if (facts.record === undefined && pods.length > 0) findings.push(`node ${facts.node} has no allocation record for ${addressText}, yet a pod reports it: the next ADD on that node may hand it out again`);
      if (facts.record !== undefined && pods.length === 0) findings.push(`node ${facts.node} holds ${addressText} for ${facts.record.target} but no pod reports it: a leaked allocation (petrelctl ipam check --state-dir on that node lists them)`);
      if (facts.record !== undefined && facts.route === undefined && running) findings.push(`no route to ${addressText} on node ${facts.node}: the pod cannot be reached; delete the pod so the runtime wires it again (CNI ADD)`);
      if (facts.route !== undefined && facts.hostVeth !== undefined && facts.route.dev !== facts.hostVeth) {
        findings.push(`the route to ${addressText} on node ${facts.node} leads to ${facts.route.dev ?? "no device"}, not to the pod's veth ${facts.hostVeth}`);
      }
      if (facts.record !== undefined && facts.hostVeth !== undefined && facts.hostVethState === undefined && running) findings.push(`the pod's host veth ${facts.hostVeth} does not exist on node ${facts.node}`);
    }
  }
  const recorded = facts !== undefined && !("unavailable" in facts) && facts.record !== undefined;
  return {
    address: addressText,
    pool: p === undefined ? undefined : { name: p.metadata.name, cidr: p.spec.cidr, disabled: p.spec.disabled === true },
    block: b === undefined ? undefined : { name: b.metadata.name, cidr: b.spec.cidr, node: b.spec.node, draining: b.spec.draining === true, allocated: b.status?.allocated, capacity: blockCapacity(b) },
    pods,
    nodeFacts: facts,
    findings,
    inUse: b !== undefined && (pods.length > 0 || recorded),
  };
}

export function renderAddressReport(r: AddressReport): string {
  const rows: [string, string][] = [["ADDRESS", r.address]];
  rows.push(["POOL", r.pool === undefined ? "-" : `${r.pool.name} (${r.pool.cidr})${r.pool.disabled ? ", disabled" : ""}`]);
  rows.push(["BLOCK", r.block === undefined ? "-" : `${r.block.cidr} (IPAMBlock ${r.block.name}${r.block.draining ? ", draining" : ""}), ${r.block.allocated ?? "-"}/${r.block.capacity} allocated`]);
  rows.push(["NODE", r.block?.node ?? "-"]);
  rows.push(["POD", r.pods.length === 0 ? "-" : r.pods.map((p) => `${p.namespace}/${p.name} (${p.phase ?? "unknown phase"}${p.node === undefined ? "" : `, on ${p.node}`})`).join("; ")]);
  const f = r.nodeFacts;
  if (f === undefined || "unavailable" in f) {
    const why = f === undefined ? "not asked" : `unavailable: ${f.unavailable}`;
    rows.push(["RECORD", why], ["HOST VETH", "-"], ["ROUTE", "-"]);
  } else {
    rows.push(["RECORD", f.record === undefined ? "none on the node" : f.record.target]);
    rows.push(["HOST VETH", f.hostVeth === undefined ? "-" : `${f.hostVeth} (${f.hostVethState === undefined ? "missing" : f.hostVethState})`]);
    rows.push(["ROUTE", f.route === undefined ? "none on the node" : `present: ${f.route.text}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 3;
  let out = rows.map(([k, v]) => `${k.padEnd(width)}${v}\n`).join("");
  if (r.findings.length > 0) out += "\n" + r.findings.map((x) => `WARNING: ${x}\n`).join("");
  return out;
}
