/**
 * The helm binary that test/rig/build-k8s.sh builds (pinned in test/rig/versions.ts), run on the
 * repository's chart. Helm's INFO line about the chart's files/crds symlink is dropped from stderr.
 */
import { join } from "node:path";
import { defaultBinDir, runProcess, type ProcessResult } from "../rig/rig.ts";
import { repoRoot } from "../rig/repo-root.ts";

export const chartDir = join(repoRoot, "helm", "petrel");
export const helmBin = (): string => join(defaultBinDir(), "helm");

export async function helm(args: readonly string[], kubeconfig?: string): Promise<ProcessResult> {
  // Helm reads KUBECONFIG from the environment and keeps its caches under HOME.
  const env = ["HELM_CACHE_HOME=/tmp/petrel-helm-cache", "HELM_CONFIG_HOME=/tmp/petrel-helm-config", "HELM_DATA_HOME=/tmp/petrel-helm-data"];
  if (kubeconfig !== undefined) env.push(`KUBECONFIG=${kubeconfig}`);
  const r = await runProcess("env", [...env, helmBin(), ...args]);
  return { ...r, stderr: r.stderr.split("\n").filter((l) => !l.includes("found symbolic link in path")).join("\n") };
}

export async function helmOk(args: readonly string[], kubeconfig?: string): Promise<string> {
  const r = await helm(args, kubeconfig);
  if (r.status !== 0) throw new Error(`helm ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `helm template` of the chart as release `petrel` in `petrel-system`. */
export function renderChart(extraArgs: readonly string[] = []): Promise<string> {
  return helmOk(["template", "petrel", chartDir, "--namespace", "petrel-system", ...extraArgs]);
}
