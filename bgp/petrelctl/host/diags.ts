/**
 * `petrelctl diags`: one .tar.gz with what a bug report about Petrel needs (diags-plan.ts's
 * README lists it). Cluster objects, reports and logs come through the API server; node-local
 * state through `kubectl exec` into each node's Petrel pod (node-exec.ts). A part that cannot be
 * collected goes into errors.txt and the rest is still written.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { V1Pod } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { PLURALS } from "../../../common/api/index.ts";
import { commanderVersion } from "../../../common/build-info.ts";
import { errorMessage, InvalidInputError } from "../../../common/errors.ts";
import { runtimeText } from "../../../common/host/runtime.ts";
import { checkReport, renderCheck } from "../check-report.ts";
import { archiveBase, nodeScript, README, safeSegment, splitNodeOutput } from "../diags-plan.ts";
import { ipamShowReport, renderIpamShow } from "../ipam-show.ts";
import { nodeStatusReport, renderNodeStatus } from "../node-status.ts";
import { tarArchive, type TarFile } from "../tar.ts";
import type { KubeReader } from "./kube-read.ts";
import type { KubeOpsReader } from "./kube-ops-read.ts";
import { kubectlExec, nodePodOf, type KubectlTarget } from "./node-exec.ts";

export interface DiagsOptions {
  /** Only these nodes' local state (all other parts are cluster-wide); empty: every node with a Petrel pod. */
  readonly nodes: readonly string[];
  readonly outputFile: string | undefined;
  readonly tailLines: number;
  readonly execTimeoutMs: number;
  readonly kubectl: KubectlTarget;
  readonly log: (line: string) => void;
}

export interface DiagsResult {
  readonly file: string;
  readonly files: number;
  readonly bytes: number;
  readonly errors: readonly string[];
}

export async function collectDiags(kube: KubeReader, ops: KubeOpsReader, opts: DiagsOptions, now = new Date()): Promise<DiagsResult> {
  const base = archiveBase(now);
  const mtime = Math.floor(now.getTime() / 1000);
  const files: TarFile[] = [];
  const errors: string[] = [];
  const add = (name: string, text: string): void => void files.push({ name: `${base}/${name}`, content: new TextEncoder().encode(text), mtime });
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (err) {
      errors.push(`${what}: ${errorMessage(err)}`);
    }
  };
  add("README.txt", README);

  // The node list first: a --node the cluster does not know is a usage error, not a partial archive.
  const nodeNames = await ops.nodeNames();
  for (const node of opts.nodes) {
    if (!nodeNames.includes(node)) {
      throw new InvalidInputError("--node", `the cluster has no Node "${node}" (it has ${nodeNames.length === 0 ? "none" : nodeNames.join(", ")}); pass a name as kubectl get nodes shows it`);
    }
  }

  let pods: V1Pod[] = [];
  await attempt("Petrel's pods", async () => {
    pods = await ops.petrelPods();
    add("cluster/petrel-pods.yaml", stringify(pods));
  });
  const versions = [commanderVersion("petrelctl", runtimeText()), ""];
  await attempt("API server version", async () => {
    versions.push(`kube-apiserver ${await ops.serverVersion()}`, "");
  });
  for (const p of pods) {
    for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) versions.push(`${p.metadata?.namespace}/${p.metadata?.name} ${c.name}: ${c.image ?? "?"}`);
  }
  add("versions.txt", `${versions.join("\n")}\n`);

  opts.log("cluster objects");
  for (const plural of Object.values(PLURALS)) {
    await attempt(plural, async () => add(`cluster/${plural}.yaml`, stringify(await ops.customList(plural))));
  }
  await attempt("Nodes", async () => add("cluster/nodes.yaml", stringify(await ops.nodes())));
  for (const ns of [...new Set(pods.map((p) => p.metadata?.namespace ?? ""))].filter((n) => n !== "")) {
    await attempt(`Events in ${ns}`, async () => add(`cluster/events-${safeSegment(ns)}.yaml`, stringify(await ops.events(ns))));
  }

  opts.log("reports");
  await attempt("reports", async () => {
    const [pools, blocks, petrelNodes, allPods] = await Promise.all([kube.listPools(), kube.listBlocks(), kube.listPetrelNodes(), kube.listPods()]);
    add("reports/node-status.txt", renderNodeStatus(nodeStatusReport(petrelNodes, now, 3 * 60_000), true));
    add("reports/ipam-show.txt", renderIpamShow(ipamShowReport(pools, blocks), true));
    add("reports/ipam-check.txt", renderCheck(checkReport({ pools, blocks, pods: allPods })));
  });

  opts.log(`logs of ${pods.length} Petrel pods`);
  for (const p of pods) {
    const ns = p.metadata?.namespace ?? "";
    const name = p.metadata?.name ?? "";
    const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
    for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) {
      const file = `logs/${safeSegment(ns)}_${safeSegment(name)}_${safeSegment(c.name)}`;
      await attempt(`log of ${ns}/${name} ${c.name}`, async () => add(`${file}.log`, await ops.podLog(ns, name, c.name, false, opts.tailLines)));
      if ((statuses.find((s) => s.name === c.name)?.restartCount ?? 0) > 0) {
        await attempt(`previous log of ${ns}/${name} ${c.name}`, async () => add(`${file}.previous.log`, await ops.podLog(ns, name, c.name, true, opts.tailLines)));
      }
    }
  }

  const wanted = opts.nodes.length > 0 ? opts.nodes : [...new Set(pods.flatMap((p) => (p.spec?.nodeName === undefined ? [] : [p.spec.nodeName])))].sort();
  for (const node of wanted) {
    const pod = nodePodOf(pods.filter((p) => p.metadata?.labels?.["app.kubernetes.io/component"] === "node"), node);
    if (pod === undefined) {
      errors.push(`node ${node}: no Petrel node pod runs there (kubectl get pods -A -l app.kubernetes.io/name=petrel --field-selector spec.nodeName=${node})`);
      continue;
    }
    opts.log(`node ${node} (${pod.namespace}/${pod.name})`);
    const nonce = randomBytes(6).toString("hex");
    const r = kubectlExec(opts.kubectl, pod, ["sh", "-c", nodeScript(pod.stateDir, nonce)], opts.execTimeoutMs);
    if (!r.ok) {
      errors.push(`node ${node}: ${r.why}`);
      continue;
    }
    const sections = splitNodeOutput(r.stdout, nonce);
    if (sections.length === 0) errors.push(`node ${node}: the script in ${pod.namespace}/${pod.name} printed nothing (exit ${r.status}): ${r.stderr.trim().slice(0, 500)}`);
    for (const s of sections) add(`nodes/${safeSegment(node)}/${s.file}`, s.text);
  }

  if (errors.length > 0) add("errors.txt", `${errors.join("\n")}\n`);
  const file = opts.outputFile ?? `${base}.tar.gz`;
  const gz = gzipSync(tarArchive(files));
  writeFileSync(file, gz, { mode: 0o600 });
  return { file, files: files.length, bytes: gz.length, errors };
}
