// kube-proxy (built by test/rig/build-k8s.sh at the rig's Kubernetes version) as a node process of
// a test kubelet node: run in the node's network namespace, in iptables mode (Debian 12's
// iptables 1.8.9 is the nf_tables flavour; this kernel has the xt matches kube-proxy uses:
// statistic, recent, comment, conntrack, mark, multiport), with the rig's admin kubeconfig.
//
// Settings that would change the machine outside the node's namespace are off: conntrack
// maxPerCore 0 (nf_conntrack_max is global and read-only in a child namespace). The TCP
// conntrack timeouts it sets are per network namespace, so they stay at kube-proxy's defaults.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { logTail, startProcess, type Started } from "./start-process.ts";
import { run } from "./run-process.ts";

export interface KubeProxyOptions {
  binDir: string;
  kubeconfig: string;
  /** The Node name (hostnameOverride). */
  name: string;
  netns: string;
  /** The pod network (detectLocalMode ClusterCIDR: traffic from outside it to a Service is masqueraded). */
  clusterCIDR: string;
  /** Directory for the config and kube-proxy.log. */
  dir: string;
}

export function kubeProxyConfig(o: KubeProxyOptions): Record<string, unknown> {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: o.kubeconfig },
    hostnameOverride: o.name,
    mode: "iptables",
    clusterCIDR: o.clusterCIDR,
    // In the node's namespace: its own 0.0.0.0 and loopback.
    healthzBindAddress: "0.0.0.0:10256",
    metricsBindAddress: "127.0.0.1:10249",
    conntrack: { maxPerCore: 0, min: 0 },
    // NodePorts on the node IP (kube-proxy warns about the all-addresses default).
    nodePortAddresses: ["primary"],
  };
}

/** Starts kube-proxy in the node's namespace and waits until its /healthz answers (it has synced once). */
export async function startKubeProxy(o: KubeProxyOptions, timeoutMs = 60_000): Promise<Started> {
  const config = join(o.dir, `kube-proxy-${o.name}.json`);
  writeFileSync(config, JSON.stringify(kubeProxyConfig(o), null, 2));
  const proc = startProcess(`kube-proxy-${o.name}`, "/usr/bin/nsenter", [
    `--net=/run/netns/${o.netns}`, "--", join(o.binDir, "kube-proxy"), `--config=${config}`, "--v=2",
  ], join(o.dir, `kube-proxy-${o.name}.log`));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = proc.exitInfo();
    if (info !== undefined) throw new Error(`kube-proxy on ${o.name} ${info}; ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    // /healthz is 200 once the proxy rules were written after the first sync.
    const r = run(["ip", "netns", "exec", o.netns, "curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:10256/healthz"]);
    if (r.status === 0) return proc;
    if (Date.now() > deadline) throw new Error(`kube-proxy on ${o.name} not healthy after ${timeoutMs} ms; ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    await sleep(500);
  }
}
