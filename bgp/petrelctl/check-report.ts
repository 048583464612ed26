/** The report of `petrelctl ipam check`: every finding with what to do, and what was checked. Pure. */
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { holdsAddresses, type Finding, type PodInfo, type RecordEntry } from "./check-model.ts";
import { tryCidr } from "./ipam-show.ts";
import { checkIpam } from "./ipam-check.ts";
import { checkRecords } from "./record-check.ts";

export interface CheckReport {
  readonly findings: readonly Finding[];
  readonly checked: {
    readonly pools: number;
    readonly blocks: number;
    /** Pod addresses inside a pool, on pods that hold them. */
    readonly podAddresses: number;
    /** Present when the node's allocation records were checked. */
    readonly records?: { readonly node: string; readonly stateDir: string; readonly count: number };
  };
}

export interface CheckInputs {
  readonly pools: readonly IPPool[];
  readonly blocks: readonly IPAMBlock[];
  readonly pods: readonly PodInfo[];
  readonly records?: {
    readonly node: string;
    readonly stateDir: string;
    readonly entries: readonly RecordEntry[];
    /** The node's pod routes (--check-routes), for route-without-record and record-without-route. */
    readonly podRoutes?: readonly string[];
  };
}

export function checkReport(inputs: CheckInputs): CheckReport {
  const api = checkIpam(inputs.pools, inputs.blocks, inputs.pods);
  const findings = [...api.findings];
  let records: CheckReport["checked"]["records"];
  if (inputs.records !== undefined) {
    const node = inputs.records.node;
    const blocks = inputs.blocks.filter((b) => b.spec.node === node).flatMap((b) => {
      const c = tryCidr(b.spec.cidr);
      return c === undefined ? [] : [c];
    });
    const podUids = new Set(inputs.pods.filter((p) => p.node === node && holdsAddresses(p)).flatMap((p) => (p.uid === undefined ? [] : [p.uid])));
    const r = checkRecords({ ...inputs.records, addresses: api.addresses, blocks, podUids });
    findings.push(...r.findings);
    records = { node: inputs.records.node, stateDir: inputs.records.stateDir, count: r.records };
  }
  return {
    findings,
    checked: {
      pools: inputs.pools.length,
      blocks: inputs.blocks.length,
      podAddresses: api.addresses.length,
      ...(records === undefined ? {} : { records }),
    },
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function renderCheck(report: CheckReport): string {
  const c = report.checked;
  const scope = [
    plural(c.pools, "pool"),
    plural(c.blocks, "block"),
    plural(c.podAddresses, "pod address", "pod addresses"),
    ...(c.records === undefined ? [] : [`${plural(c.records.count, "allocation record")} on ${c.records.node}`]),
  ].join(", ");
  if (report.findings.length === 0) return `No problems found (checked ${scope}).\n`;
  const lines = report.findings.map((f) => `[${f.kind}] ${f.message}\n    fix: ${f.fix}\n`);
  return `${lines.join("")}\n${plural(report.findings.length, "problem")} found (checked ${scope}).\n`;
}
