/** petrelctl's flag values, validated with errors that name the flag and the fix. Pure (no commander). */
import { parseDuration } from "../../common/duration.ts";
import { InvalidInputError } from "../../common/errors.ts";

/** kubectl's -o values that fit a report: table (default), wide (more columns), json, yaml. */
export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormat(value: unknown): OutputFormat {
  const found = OUTPUT_FORMATS.find((f) => f === value);
  if (found === undefined) throw new InvalidInputError("--output", `"${String(value)}" is not an output format; use ${OUTPUT_FORMATS.join(", ")}`);
  return found;
}

/** A duration flag that must be longer than zero, e.g. --stale-after 3m. */
export function positiveDuration(value: unknown, flag: string): number {
  const ms = parseDuration(typeof value === "string" ? value : "", flag);
  if (ms <= 0) throw new InvalidInputError(flag, "must be longer than 0, e.g. 30s or 3m");
  return ms;
}

export interface RecordCheckTarget {
  readonly stateDir: string;
  readonly node: string;
}

/**
 * The node-local part of `ipam check`: --state-dir turns it on and needs --node (or NODE_NAME, as
 * in the agent's pod); --node alone is a mistake worth pointing out.
 */
export function recordCheckTarget(flags: { stateDir?: unknown; node?: unknown }, env: Readonly<Record<string, string | undefined>>): RecordCheckTarget | undefined {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const stateDir = text(flags.stateDir);
  const nodeFlag = text(flags.node);
  if (stateDir === undefined) {
    if (nodeFlag !== undefined) {
      throw new InvalidInputError("--node", "only selects whose allocation records --state-dir holds; add --state-dir DIR (the CNI plugin's state directory, default /var/lib/petrel) and run on that node");
    }
    return undefined;
  }
  const node = nodeFlag ?? text(env.NODE_NAME);
  if (node === undefined) {
    throw new InvalidInputError("--node", "is required with --state-dir: pass the Kubernetes name of the node this state directory belongs to (kubectl get nodes), or set NODE_NAME");
  }
  return { stateDir, node };
}

/** A node name for the record check must be one the cluster knows, or every record would look leaked. */
export function checkNodeKnown(node: string, knownNodes: Iterable<string>): void {
  for (const n of knownNodes) if (n === node) return;
  throw new InvalidInputError("--node", `no IPAMBlock or pod in the cluster is on node "${node}"; pass the node's Kubernetes name as kubectl get nodes shows it`);
}
