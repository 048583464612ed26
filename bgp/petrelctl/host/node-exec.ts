/**
 * Node-local facts from far away: petrelctl runs a command in the agent container of the node's
 * Petrel pod through `kubectl exec`, with the same --kubeconfig and --context, as calicoctl's
 * `cluster diags` does. kubectl already speaks every exec transport (WebSocket, SPDY) and every
 * authentication plugin; petrelctl does not re-implement them. kubectl: $KUBECTL, else on PATH
 * (always there when petrelctl runs as `kubectl petrel`).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
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
  /** The agent's --health-address, when its arguments set one. */
  readonly healthAddress: string | undefined;
  readonly ready: boolean;
}

export type ExecResult = { readonly ok: true; readonly stdout: string; readonly stderr: string; readonly status: number } | { readonly ok: false; readonly why: string };

export const AGENT_CONTAINER = "agent";

export function nodePodOf(pods: readonly V1Pod[], node: string): NodePod | undefined {
  const running = pods.filter((p) => p.spec?.nodeName === node && p.metadata?.deletionTimestamp === undefined);
  const pod = running.find((p) => p.status?.phase === "Running") ?? running[0];
  if (pod === undefined) return undefined;
  const agent = pod.spec?.containers.find((c) => c.name === AGENT_CONTAINER);
  const argv = [...(agent?.command ?? []), ...(agent?.args ?? [])];
  const flag = (name: string) => argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    node,
    stateDir: flag("--state-dir") ?? "/var/lib/petrel",
    healthAddress: flag("--health-address"),
    ready: pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER)?.ready === true,
  };
}

function kubectlCommand(target: KubectlTarget, pod: NodePod, argv: readonly string[]): { kubectl: string; args: string[] } {
  const kubectl = process.env.KUBECTL !== undefined && process.env.KUBECTL !== "" ? process.env.KUBECTL : "kubectl";
  const args = [
    ...(target.kubeconfig === undefined ? [] : [`--kubeconfig=${target.kubeconfig}`]),
    ...(target.context === undefined ? [] : [`--context=${target.context}`]),
    "exec", "-n", pod.namespace, pod.name, "-c", AGENT_CONTAINER, "--", ...argv,
  ];
  return { kubectl, args };
}

const maxOutput = 256 * 1024 * 1024;

export function kubectlExec(target: KubectlTarget, pod: NodePod, argv: readonly string[], timeoutMs: number): ExecResult {
  const { kubectl, args } = kubectlCommand(target, pod, argv);
  return execResult(spawnSync(kubectl, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: maxOutput }), kubectl, pod, timeoutMs);
}

/** The same, without blocking: for asking many nodes at once. */
export function kubectlExecAsync(target: KubectlTarget, pod: NodePod, argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
  const { kubectl, args } = kubectlCommand(target, pod, argv);
  return new Promise((resolve) => {
    const child = spawn(kubectl, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let error: Error | undefined;
    let timedOut = false;
    // A timer of its own (not spawn's `timeout`): the same in Node and in the Bun executable.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const collect = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > maxOutput) child.kill("SIGKILL");
      else into.push(d);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.on("error", (e) => (error = e));
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      // As spawnSync reports it: a kill by the timeout is ETIMEDOUT.
      const e = error ?? (timedOut ? Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }) : undefined);
      resolve(execResult({ pid: child.pid ?? 0, output: [], stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), status, signal, ...(e === undefined ? {} : { error: e }) }, kubectl, pod, timeoutMs));
    });
  });
}

function execResult(r: SpawnSyncReturns<string>, kubectl: string, pod: NodePod, timeoutMs: number): ExecResult {
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
