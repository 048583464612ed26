// The rig's kube-apiserver: serving on 127.0.0.1 (or the rig's listen address) with the
// certificates from certs.ts, started and waited for until /readyz answers ok.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { apiRequest } from "./api-request.ts";
import { freePort } from "./free-port.ts";
import { failIfExited, killAll, logTail, startProcess, type Started } from "./start-process.ts";

/** The apiserver settings a test may choose (a subset of KubeRigOptions, documented there). */
export interface ApiserverOptions {
  authorizationMode?: "RBAC" | "AlwaysAllow";
  serviceClusterIPRange?: string;
  listenAddress?: string;
  endpointReconciler?: "none" | "lease";
}

/**
 * Starts kube-apiserver against etcd at `etcdUrl`, with the files that makeCerts() and the token
 * file left in `dir`, and waits for /readyz as the admin user. Throws PortInUse when the apiserver
 * could not bind its port, so the caller can retry with fresh ones.
 */
export async function startApiserver(
  binDir: string,
  dir: string,
  etcdUrl: string,
  token: string,
  ca: Buffer,
  options: ApiserverOptions,
  timeoutMs: number,
  /** Reuse this port (an apiserver restart); default: a fresh free port. */
  fixedPort?: number,
): Promise<{ proc: Started; url: string }> {
  const address = options.listenAddress ?? "127.0.0.1";
  const port = fixedPort ?? await freePort(address);
  const url = `https://${address}:${port}`;
  const p = (name: string): string => join(dir, name);
  const proc = startProcess("kube-apiserver", join(binDir, "kube-apiserver"), [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${port}`,
    `--cert-dir=${p("apiserver-certs")}`,
    `--tls-cert-file=${p("apiserver.crt")}`,
    `--tls-private-key-file=${p("apiserver.key")}`,
    `--client-ca-file=${p("ca.crt")}`,
    `--token-auth-file=${p("tokens.csv")}`,
    "--anonymous-auth=false",
    `--authorization-mode=${options.authorizationMode ?? "RBAC"}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${p("sa.pub")}`,
    `--service-account-signing-key-file=${p("sa.key")}`,
    `--service-cluster-ip-range=${options.serviceClusterIPRange ?? "198.19.255.0/24"}`,
    // The advertised address may be loopback, which Endpoints may not hold: keep no endpoints
    // (and with no kube-proxy, the `kubernetes` Service's cluster IP leads nowhere anyway), unless
    // the rig asks for the `lease` reconciler (a routable listen address and kube-proxy).
    `--endpoint-reconciler-type=${options.endpointReconciler ?? "none"}`,
    "--allow-privileged=true",
    // Logs and exec reach a test kubelet (test/rig/kubelet-node.ts) at its node IP: its
    // hostname is only a name, resolvable nowhere.
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    "--profiling=false",
    "--v=1",
  ], p("kube-apiserver.log"));
  const deadline = Date.now() + timeoutMs;
  // The last probe outcome goes into the timeout error: it says which readiness check is stuck.
  let last: string;
  for (;;) {
    // An exited apiserver will never become ready: fail now with its log instead of at the deadline.
    await failIfExited(proc, "ready");
    try {
      const r = await apiRequest(url, ca, token, "GET", "/readyz", undefined, "application/json", 3000);
      if (r.status === 200) return { proc, url };
      last = `HTTP ${r.status}: ${typeof r.body === "string" ? r.body.slice(-2000) : JSON.stringify(r.body)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await killAll([proc]);
      throw new Error(`kube-apiserver not ready after ${timeoutMs} ms (last: ${last}); ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    }
    await sleep(200);
  }
}
