/**
 * `petrelctl ipam check --release-from-report FILE`: which of the report's leaked addresses
 * (record-without-pod findings) may be freed now. Only what is exactly as the report saw it: the
 * record still exists with the same target, and a fresh check, made with the plugin's locks held,
 * still finds no pod for it. Everything else is refused with the reason. Pure.
 */
import type { CheckReport } from "./check-report.ts";
import type { Finding, RecordEntry } from "./check-model.ts";

export interface ReleaseDecision {
  readonly address: string;
  readonly release: boolean;
  /** Why it is refused, or what is freed. */
  readonly reason: string;
}

/** The report as read from a file, checked for what the release needs. */
export interface ReportTarget {
  readonly node: string;
  readonly stateDir: string;
  readonly leaks: readonly { readonly address: string; readonly record: string }[];
}

export function reportTarget(raw: unknown, file: string): ReportTarget {
  const r = raw as Partial<CheckReport> | null;
  const records = r?.checked?.records;
  if (r === null || typeof r !== "object" || !Array.isArray(r.findings) || records === undefined || typeof records.node !== "string" || typeof records.stateDir !== "string") {
    throw new Error(`${file} is not a report of petrelctl ipam check --state-dir DIR --node NAME -o json (it needs checked.records and findings)`);
  }
  const leaks = (r.findings as Finding[]).flatMap((f) =>
    f.kind === "record-without-pod" && typeof f.address === "string" && typeof f.record === "string" ? [{ address: f.address, record: f.record }] : []);
  return { node: records.node, stateDir: records.stateDir, leaks };
}

export function planRelease(target: ReportTarget, entries: readonly RecordEntry[], fresh: readonly Finding[]): ReleaseDecision[] {
  const now = new Map(entries.map((e) => [e.name, e.target]));
  const stillLeaked = new Set(fresh.filter((f) => f.kind === "record-without-pod" && f.address !== undefined).map((f) => f.address));
  return target.leaks.map(({ address, record }) => {
    if (!now.has(address)) return { address, release: false, reason: "already gone: nothing to free" };
    const current = now.get(address);
    if (current !== record) return { address, release: false, reason: `changed since the report: the record now reads ${current ?? "(unreadable)"} (an ADD reused the address)` };
    if (!stillLeaked.has(address)) return { address, release: false, reason: "no longer a leak: a pod on the node has the address now" };
    return { address, release: true, reason: `freed (record ${record})` };
  });
}

export function renderRelease(decisions: readonly ReleaseDecision[]): string {
  if (decisions.length === 0) return "The report lists no leaked address (record-without-pod) to free.\n";
  const lines = decisions.map((d) => `${d.release ? "released" : "refused "} ${d.address}: ${d.reason}\n`);
  const freed = decisions.filter((d) => d.release).length;
  return `${lines.join("")}\n${freed} of ${decisions.length} freed.\n`;
}
