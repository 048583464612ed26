// The rest of a control plane, for tests that run real pods on a kubelet (test/rig/kubelet-node.ts):
// kube-controller-manager and kube-scheduler, in the host network namespace, talking to the rig's
// apiserver with the rig's admin kubeconfig. A test rig only: a real cluster gives each of them
// its own identity and RBAC (system:kube-controller-manager, system:kube-scheduler).
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, PortInUse } from "./free-port.ts";
import { failIfExited, killAll, logTail, startProcess, type Started } from "./start-process.ts";

/**
 * The controllers a node with DaemonSets and Deployments needs, and nothing that needs a cloud or
 * extra keys: no node-ipam-controller (Petrel, not the controller manager, hands out pod
 * addresses; --allocate-node-cidrs stays off), no CSR signing (no cluster signing key), no
 * volume controllers. Listed explicitly rather than `*`: fewer informers on a 2-core machine.
 */
export const controllerManagerControllers: readonly string[] = [
  "clusterrole-aggregation-controller", // the admin/edit/view roles that charts bind to
  "daemonset-controller",
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "job-controller", // Helm hooks are often Jobs
  "ttl-after-finished-controller",
  "disruption-controller", // PodDisruptionBudget status
  "garbage-collector-controller", // ownerReferences: deleting a Deployment deletes its pods
  "namespace-controller", // namespaces finish terminating
  "serviceaccount-controller", // the `default` ServiceAccount of every namespace
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller", // kube-root-ca.crt, for projected service-account tokens
  "node-lifecycle-controller", // removes the not-ready taint once the kubelet reports Ready
  "taint-eviction-controller",
  "pod-garbage-collector-controller",
  "endpointslice-controller",
  // The upstream conformance run (test/e2e/kubelet-cluster.test.ts) needs these three: the
  // apiserver's service proxy and the Endpoints/EndpointSliceMirroring tests read v1 Endpoints,
  // and several e2e helpers run their pods under ReplicationControllers.
  "endpoints-controller",
  "endpointslice-mirroring-controller",
  "replicationcontroller-controller",
];

/** Starts one of the two programs with a secure port of its own and waits for its /healthz. */
async function startComponent(
  name: "kube-controller-manager" | "kube-scheduler",
  binDir: string,
  dir: string,
  kubeconfigPath: string,
  flags: readonly string[],
  timeoutMs: number,
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    // Both serve /healthz on a secure port; a chosen free port keeps two rigs from colliding on
    // the defaults (10257, 10259). The serving certificate is self-signed into --cert-dir.
    const port = await freePort();
    const proc = startProcess(name, join(binDir, name), [
      `--kubeconfig=${kubeconfigPath}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, `${name}-certs`)}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
      ...flags,
    ], join(dir, `${name}.log`));
    try {
      await waitHealthy(proc, port, timeoutMs);
      return proc;
    } catch (err) {
      await killAll([proc]);
      if (err instanceof PortInUse && attempt < 4) continue;
      throw err;
    }
  }
}

async function waitHealthy(proc: Started, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    await failIfExited(proc, "healthy");
    try {
      const r = await healthz(port);
      if (r.status === 200 && r.text === "ok") return;
      last = `HTTP ${r.status}: ${r.text.slice(-1000)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${proc.name} not healthy after ${timeoutMs} ms (last: ${last}); ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    }
    await sleep(200);
  }
}

/** GET /healthz. The certificate is the program's own self-signed one: not verified, for this probe only. */
function healthz(port: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 3000 ms")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * kube-controller-manager for the rig in `dir` (the CA and service-account key that makeCerts()
 * left there): signs legacy service-account token Secrets with sa.key and publishes ca.crt as
 * the kube-root-ca.crt ConfigMap of every namespace, which projected service-account volumes need.
 */
export function startControllerManager(binDir: string, dir: string, kubeconfigPath: string, timeoutMs: number): Promise<Started> {
  return startComponent("kube-controller-manager", binDir, dir, kubeconfigPath, [
    `--root-ca-file=${join(dir, "ca.crt")}`,
    `--service-account-private-key-file=${join(dir, "sa.key")}`,
    `--controllers=${controllerManagerControllers.join(",")}`,
    // Client-certificate and delegated authentication of its own endpoints are not needed:
    // /healthz is always allowed, and nothing else is scraped.
    "--authentication-skip-lookup=true",
  ], timeoutMs);
}

/** kube-scheduler for the rig. */
export function startScheduler(binDir: string, dir: string, kubeconfigPath: string, timeoutMs: number): Promise<Started> {
  return startComponent("kube-scheduler", binDir, dir, kubeconfigPath, ["--authentication-skip-lookup=true"], timeoutMs);
}
