// Petrel's custom resources created, patched and read through a rig's kubectl, the way the CRD
// tests drive the API server (test/crds/). Assertions stay in the tests.
import type { KubeRig, ProcessResult } from "../rig/rig.ts";

export type Obj = Record<string, unknown>;

/** Bound to a rig getter (the rig starts in beforeAll); the members are arrow functions, so they can be destructured. */
export class CrdKubectl {
  readonly #rig: () => KubeRig;
  readonly #apiVersion: string;

  constructor(rig: () => KubeRig, apiVersion = "petrel.dev/v1alpha1") {
    this.#rig = rig;
    this.#apiVersion = apiVersion;
  }

  readonly create = (kind: string, name: string, spec: Obj | undefined): Promise<ProcessResult> => {
    const obj: Obj = { apiVersion: this.#apiVersion, kind, metadata: { name } };
    if (spec !== undefined) obj.spec = spec;
    return this.#rig().kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify(obj));
  };

  readonly createOk = async (kind: string, name: string, spec: Obj | undefined): Promise<void> => {
    const r = await this.create(kind, name, spec);
    if (r.status !== 0) throw new Error(`creating ${kind} ${name} failed: ${r.stderr}`);
  };

  readonly patch = (resource: string, name: string, body: Obj, subresource?: string): Promise<ProcessResult> => {
    const args = ["patch", resource, name, "--type=merge", "-p", JSON.stringify(body)];
    if (subresource !== undefined) args.push(`--subresource=${subresource}`);
    return this.#rig().kubectl(args);
  };

  readonly getJson = async (resource: string, name: string): Promise<Obj> => JSON.parse(await this.#rig().kubectlOk(["get", resource, name, "-o", "json"])) as Obj;

  /** `kubectl get <args>` as a table (parseTable). */
  readonly getTable = async (args: readonly string[]): Promise<{ header: string[]; rows: string[][] }> => parseTable(await this.#rig().kubectlOk(["get", ...args]));
}

/**
 * Reads `kubectl get` table output: the header's column names and each row's cells, cut at the
 * columns' start positions (cells may be empty, and "BLOCK SIZE" holds a single space).
 */
export function parseTable(out: string): { header: string[]; rows: string[][] } {
  const [head = "", ...lines] = out.trimEnd().split("\n");
  const starts = [...head.matchAll(/(?:^|\s{2,})(\S)/g)].map((m) => (m.index ?? 0) + m[0].length - 1);
  const cut = (line: string): string[] => starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
  return { header: cut(head), rows: lines.map(cut) };
}
