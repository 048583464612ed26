/**
 * `ipam show --ip`: the cluster's answer from the API, and the node's answer either read right
 * here (--state-dir, on the node) or fetched from the node's Petrel pod, where petrelctl runs
 * `petrelctl ipam show --ip ADDR --node-facts --state-dir DIR` through kubectl exec. The node
 * part needs no API access, so it works with any RBAC in the pod.
 */
import type { IpAddress } from "../../../common/cidr.ts";
import { addressReport, nodeFacts, type AddressReport, type NodeFacts, type NodeRawFacts } from "../address-report.ts";
import type { KubeReader } from "./kube-read.ts";
import type { KubeOpsReader } from "./kube-ops-read.ts";
import { localNodeFacts } from "./node-facts.ts";
import { kubectlExec, nodePodOf, type KubectlTarget } from "./node-exec.ts";

export interface LookupOptions {
  /** On the node: read its state directory and routes here instead of exec'ing into its pod. */
  readonly local: { readonly stateDir: string; readonly node: string } | undefined;
  readonly kubectl: KubectlTarget;
  readonly execTimeoutMs: number;
}

async function remoteFacts(ops: KubeOpsReader, opts: LookupOptions, node: string, addressText: string): Promise<NodeFacts | { unavailable: string }> {
  let pods;
  try {
    pods = await ops.petrelPods({ nodeOnly: true, node });
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
  const pod = nodePodOf(pods, node);
  if (pod === undefined) return { unavailable: `no Petrel node pod runs on ${node} (kubectl get pods -A -l app.kubernetes.io/name=petrel -o wide)` };
  const r = kubectlExec(opts.kubectl, pod, ["petrelctl", "ipam", "show", "--ip", addressText, "--node-facts", "--state-dir", pod.stateDir, "--node", node], opts.execTimeoutMs);
  if (!r.ok) return { unavailable: r.why };
  if (r.status !== 0) return { unavailable: `petrelctl in ${pod.namespace}/${pod.name} exited ${r.status}: ${r.stderr.trim().slice(0, 500)}` };
  try {
    return nodeFacts(JSON.parse(r.stdout) as NodeRawFacts);
  } catch (err) {
    return { unavailable: `petrelctl in ${pod.namespace}/${pod.name} printed no node facts (${(err as Error).message}); is its image older than this petrelctl?` };
  }
}

export async function lookupAddress(kube: KubeReader, ops: KubeOpsReader, address: IpAddress, addressText: string, opts: LookupOptions): Promise<AddressReport> {
  const [pools, blocks, pods] = await Promise.all([kube.listPools(), kube.listBlocks(), kube.listPods()]);
  const first = addressReport(address, addressText, { pools, blocks, pods, node: undefined });
  if (first.block === undefined) return first;
  let facts: NodeFacts | { unavailable: string };
  if (opts.local !== undefined) {
    facts = opts.local.node === first.block.node
      ? nodeFacts(localNodeFacts(opts.local.stateDir, opts.local.node, address, addressText))
      : { unavailable: `this is node ${opts.local.node}; the address's block belongs to ${first.block.node}: run there, or without --state-dir` };
  } else {
    facts = await remoteFacts(ops, opts, first.block.node, addressText);
  }
  return addressReport(address, addressText, { pools, blocks, pods, node: facts });
}
