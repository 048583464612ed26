/**
 * Node-local facts from far away: petrelctl runs a command in the agent container of the node's
 * Petrel pod through `kubectl exec`, with the same --kubeconfig and --context, as calicoctl's
 * `cluster diags` does. kubectl already speaks every exec transport (WebSocket, SPDY) and every
 * authentication plugin; petrelctl does not re-implement them. kubectl: $KUBECTL, else on PATH
 * (always there when petrelctl runs as `kubectl petrel`).
 */
import { spawnSync } from "node:child_process";
import type { V1Pod } from "@kubernetes/client-node";

export interface KubectlTarget {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
}

export interface NodePod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  /** The agent's --state-dir, as the pod runs it (the same path on the host and in the pod). */
  readonly stateDir: string;
  readonly ready: boolean;
}

export type ExecResult = { readonly ok: true; readonly stdout: string; readonly stderr: string; readonly status: number } | { readonly ok: false; readonly why: string };

export const AGENT_CONTAINER = "agent";

export function nodePodOf(pods: readonly V1Pod[], node: string): NodePod | undefined {
  const running = pods.filter((p) => p.spec?.nodeName === node && p.metadata?.deletionTimestamp === undefined);
  const pod = running.find((p) => p.status?.phase === "Running") ?? running[0];
  if (pod === undefined) return undefined;
  const agent = pod.spec?.containers.find((c) => c.name === AGENT_CONTAINER);
  const flag = [...(agent?.command ?? []), ...(agent?.args ?? [])].find((a) => a.startsWith("--state-dir="));
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    node,
    stateDir: flag?.slice("--state-dir=".length) ?? "/var/lib/petrel",
    ready: pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER)?.ready === true,
  };
}

export function kubectlExec(target: KubectlTarget, pod: NodePod, argv: readonly string[], timeoutMs: number): ExecResult {
  const kubectl = process.env.KUBECTL !== undefined && process.env.KUBECTL !== "" ? process.env.KUBECTL : "kubectl";
  const args = [
    ...(target.kubeconfig === undefined ? [] : [`--kubeconfig=${target.kubeconfig}`]),
    ...(target.context === undefined ? [] : [`--context=${target.context}`]),
    "exec", "-n", pod.namespace, pod.name, "-c", AGENT_CONTAINER, "--", ...argv,
  ];
  const r = spawnSync(kubectl, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, why: `${kubectl} is not on PATH: petrelctl runs \`kubectl exec\` into the node's Petrel pod for node-local facts; install kubectl (or set KUBECTL), or run petrelctl on the node with --state-dir` };
    if (code === "ETIMEDOUT") return { ok: false, why: `kubectl exec into ${pod.namespace}/${pod.name} gave no answer within ${Math.round(timeoutMs / 1000)} s: is node ${pod.node} reachable from the API server (kubelet port 10250)?` };
    return { ok: false, why: `cannot run ${kubectl}: ${r.error.message}` };
  }
  const stderr = r.stderr.trim();
  // kubectl's own failures (no such pod, kubelet unreachable, forbidden) come with status 1 and
  // a message, before the command in the pod ever ran.
  if (r.status !== 0 && r.stdout === "" && /^(error|Error from server)/m.test(stderr)) {
    return { ok: false, why: `kubectl exec into ${pod.namespace}/${pod.name} on ${pod.node} failed: ${stderr.split("\n").slice(-3).join(" ")}` };
  }
  return { ok: true, stdout: r.stdout, stderr: r.stderr, status: r.status ?? 1 };
}
