/**
 * The two ends of `petrelctl connectivity` (connectivity.ts): `serve` answers every TCP
 * connection with its greeting; `check` waits for the peer DaemonSet to be ready, then dials
 * every peer pod over the pod network.
 */
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { greeting, type Peer, type ProbeResult } from "../connectivity.ts";
import type { KubeOpsReader } from "./kube-ops-read.ts";

/** Never resolves: main() exits when its command's promise settles, and a server runs until SIGTERM. */
export function serve(port: number, node: string, pod: string, log: (line: string) => void): Promise<never> {
  const server = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.end(greeting(node, pod));
  });
  server.listen(port, () => log(`answering on port ${port} as ${node} ${pod}`));
  const stop = () => process.exit(0); // nothing to flush: every answer is one write
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return new Promise<never>(() => undefined);
}

export function probe(peer: Peer, port: number, timeoutMs: number): Promise<ProbeResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let answer = "";
    let done = false;
    const finish = (error: string | undefined) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ peer, answer: error === undefined ? answer : undefined, error, ms: Date.now() - t0 });
    };
    const socket = connect({ host: peer.ip, port, timeout: timeoutMs });
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      answer += d;
    });
    socket.on("end", () => finish(undefined));
    socket.on("timeout", () => finish(`no answer within ${timeoutMs} ms`));
    socket.on("error", (err) => finish(err.message));
  });
}

/** The peers, once the DaemonSet has a Ready pod on every node it wants one on. */
export async function readyPeers(ops: KubeOpsReader, namespace: string, daemonSet: string, deadline: number, log: (line: string) => void): Promise<Peer[]> {
  let last = "";
  for (;;) {
    const ds = await ops.daemonSet(namespace, daemonSet);
    const desired = ds.status?.desiredNumberScheduled ?? 0;
    const ready = ds.status?.numberReady ?? 0;
    const selector = Object.entries(ds.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    const state = `${ready}/${desired} peers ready`;
    if (state !== last) log(state);
    last = state;
    if (desired > 0 && ready >= desired) {
      const pods = await ops.podsBySelector(namespace, selector);
      const peers = pods
        .filter((p) => p.metadata?.deletionTimestamp === undefined && p.status?.podIP !== undefined && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true)
        .map((p) => ({ pod: p.metadata?.name ?? "", node: p.spec?.nodeName ?? "", ip: p.status?.podIP ?? "" }));
      if (peers.length >= desired) return peers.sort((a, b) => a.node.localeCompare(b.node));
    }
    if (Date.now() > deadline) throw new Error(`the peer DaemonSet ${namespace}/${daemonSet} is not ready (${state}); kubectl -n ${namespace} describe daemonset ${daemonSet}`);
    await sleep(1000);
  }
}
