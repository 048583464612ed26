// A real Kubernetes API for tests: one etcd and one kube-apiserver on 127.0.0.1, started from the
// binaries that test/rig/build-k8s.sh builds (see docs/k8s-rig.md). By default no kubelet and no
// controllers: objects such as Nodes are created through the API by the test itself. Tests that
// run real pods add kube-controller-manager and kube-scheduler (startControlPlaneControllers())
// and a kubelet (test/rig/kubelet-node.ts), with the apiserver on a non-loopback
// `listenAddress` that the kubelet's network namespace can reach.
//
//   const rig = await KubeRig.start();
//   await rig.kubectlOk(["apply", "-f", "crds/"]);
//   await rig.addNode("node-a", { "petrel.dev/zone": "a" });
//   ...
//   await rig.stop();   // kills exactly the two processes it started, removes its temp dir
//
// This file is the rig's entry point: tests import everything from here, and the helpers it is
// built from (binaries, certs, processes, kubeconfig, HTTPS) live in the files beside it.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiRequest, type ApiResponse } from "./api-request.ts";
import { checkBinaries, defaultBinDir } from "./binaries.ts";
import { makeCerts } from "./certs.ts";
import { startEtcd } from "./etcd.ts";
import { PortInUse } from "./free-port.ts";
import { startControllerManager, startScheduler } from "./control-plane.ts";
import { startApiserver } from "./kube-apiserver.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { runProcess, type ProcessResult } from "./run-process.ts";
import { killAll, type Started } from "./start-process.ts";

// Re-exported so that importers keep one import path however the rig is split internally.
export { BUILD_SCRIPT, checkBinaries, defaultBinDir } from "./binaries.ts";
export { runProcess, type ProcessResult } from "./run-process.ts";
export type { ApiResponse } from "./api-request.ts";

export interface KubeRigOptions {
  /** Directory holding kube-apiserver, kubectl and etcd. Default: PETREL_K8S_BIN_DIR, else the build cache. */
  binDir?: string;
  /** Authorization mode of the apiserver. Default RBAC (the admin user is in system:masters). */
  authorizationMode?: "RBAC" | "AlwaysAllow";
  /** Service cluster IP range. Default 198.19.255.0/24 (benchmarking range; never routed by tests). */
  serviceClusterIPRange?: string;
  /** How long to wait for etcd and /readyz, in ms. Default 120000 (cold start on a busy 2-core VM). */
  readyTimeoutMs?: number;
  /** Keep the temp dir (certs, logs, etcd data) after stop(), e.g. to read the logs. Also PETREL_RIG_KEEP=1. */
  keepTempDir?: boolean;
  /**
   * The local address kube-apiserver binds, advertises and is reached at (the server URL and the
   * serving certificate carry it). Default 127.0.0.1. A kubelet in its own network namespace needs
   * one it can route to, e.g. 198.51.100.1 on a veth (see test/rig/kubelet-node.ts); the
   * address must exist before start().
   */
  listenAddress?: string;
  /**
   * `none` (default): the `kubernetes` Service has no endpoints. `lease`: the apiserver keeps its
   * listen address there (the multi-node rig, where kube-proxy makes the Service work; needs a
   * non-loopback listenAddress).
   */
  endpointReconciler?: "none" | "lease";
}

export interface NodeOptions {
  /** Written to status.addresses as the node's InternalIP (use 192.0.2.0/24 and friends in tests). */
  internalIP?: string;
}

/** etcd plus kube-apiserver on 127.0.0.1 (or `listenAddress`), with an admin kubeconfig. */
export class KubeRig {
  /** Admin kubeconfig (bearer token of a system:masters user). */
  readonly kubeconfigPath: string;
  /** e.g. https://127.0.0.1:41234 */
  readonly server: string;
  /** The CA that signed the apiserver's serving certificate (PEM). */
  readonly caPath: string;
  readonly binDir: string;
  /** Temp dir with certs, logs (etcd.log, kube-apiserver.log) and etcd data. */
  readonly dir: string;
  readonly etcdPid: number;
  /** Changes when restartApiserver() starts a new one. */
  apiserverPid: number;

  readonly #token: string;
  readonly #ca: Buffer;
  readonly #procs: Started[];
  readonly #keep: boolean;
  readonly #options: KubeRigOptions;
  readonly #etcdUrl: string;
  #stopped = false;

  private constructor(init: {
    dir: string;
    binDir: string;
    server: string;
    token: string;
    ca: Buffer;
    kubeconfigPath: string;
    procs: Started[];
    keep: boolean;
    options: KubeRigOptions;
    etcdUrl: string;
  }) {
    this.dir = init.dir;
    this.binDir = init.binDir;
    this.server = init.server;
    this.caPath = join(init.dir, "ca.crt");
    this.#token = init.token;
    this.#ca = init.ca;
    this.kubeconfigPath = init.kubeconfigPath;
    this.#procs = init.procs;
    this.#keep = init.keep;
    this.#options = init.options;
    this.#etcdUrl = init.etcdUrl;
    const [etcd, apiserver] = init.procs;
    this.etcdPid = etcd?.pid ?? -1;
    this.apiserverPid = apiserver?.pid ?? -1;
  }

  /** Starts etcd and kube-apiserver and waits until /readyz answers ok. */
  static async start(options: KubeRigOptions = {}): Promise<KubeRig> {
    const binDir = options.binDir ?? defaultBinDir();
    checkBinaries(binDir);
    const keep = options.keepTempDir ?? process.env.PETREL_RIG_KEEP === "1";
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const dir = await mkdtemp(join(tmpdir(), "petrel-rig-"));
    const started: Started[] = [];
    try {
      const serviceIP = firstServiceIP(options.serviceClusterIPRange ?? "198.19.255.0/24");
      await makeCerts(dir, [options.listenAddress ?? "127.0.0.1", ...(serviceIP === undefined ? [] : [serviceIP])]);
      // A static token file: the simplest admin credential, with no client certificate to sign.
      const token = randomBytes(24).toString("hex");
      await writeFile(join(dir, "tokens.csv"), `${token},petrel-rig-admin,petrel-rig-admin,"system:masters"\n`, { mode: 0o600 });
      const ca = await readFile(join(dir, "ca.crt"));

      // Ports come from the kernel and are released before the programs bind them, so another
      // process may take one in between: retry with fresh ports when that happens.
      for (let attempt = 1; ; attempt++) {
        try {
          const etcd = await startEtcd(binDir, dir, attempt, timeoutMs);
          started.push(etcd.proc);
          const server = await startApiserver(binDir, dir, etcd.clientUrl, token, ca, options, timeoutMs);
          started.push(server.proc);
          const kubeconfigPath = join(dir, "admin.kubeconfig");
          await writeKubeconfig(kubeconfigPath, server.url, join(dir, "ca.crt"), token);
          return new KubeRig({ dir, binDir, server: server.url, token, ca, kubeconfigPath, procs: started, keep, options, etcdUrl: etcd.clientUrl });
        } catch (err) {
          await killAll(started);
          started.length = 0;
          if (err instanceof PortInUse && attempt < 4) continue;
          throw err;
        }
      }
    } catch (err) {
      await killAll(started);
      if (!keep) await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Starts kube-controller-manager and kube-scheduler (see control-plane.ts) with the admin
   * kubeconfig, and waits for their /healthz. stop() kills them first, before the apiserver.
   */
  async startControlPlaneControllers(): Promise<void> {
    if (this.#procs.some((p) => p.name === "kube-controller-manager")) throw new Error("startControlPlaneControllers: already started");
    const timeoutMs = this.#options.readyTimeoutMs ?? 120_000;
    this.#procs.push(await startControllerManager(this.binDir, this.dir, this.kubeconfigPath, timeoutMs));
    this.#procs.push(await startScheduler(this.binDir, this.dir, this.kubeconfigPath, timeoutMs));
  }

  /** Pids of the running kube-controller-manager and kube-scheduler (empty before startControlPlaneControllers()). */
  get controllerPids(): number[] {
    return this.#procs.filter((p) => p.name === "kube-controller-manager" || p.name === "kube-scheduler").map((p) => p.pid);
  }

  /** Kills the controllers (if started), the apiserver, then etcd (by their pids), and removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await killAll(this.#procs);
    if (!this.#keep) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Kills the kube-apiserver (SIGKILL by default: a crash, not a clean shutdown), keeps it down
   * for `downMs`, and starts a new one on the same port and etcd, so that clients holding the
   * kubeconfig reconnect to it. Resolves once the new one is ready.
   */
  async restartApiserver(downMs = 0, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const index = this.#procs.findIndex((p) => p.pid === this.apiserverPid);
    const old = this.#procs[index];
    if (old === undefined) throw new Error("restartApiserver: the rig has no running apiserver");
    old.child.kill(signal);
    await old.exited;
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    const port = Number(new URL(this.server).port);
    const server = await startApiserver(this.binDir, this.dir, this.#etcdUrl, this.#token, this.#ca, this.#options, this.#options.readyTimeoutMs ?? 120_000, port);
    this.#procs[index] = server.proc;
    this.apiserverPid = server.proc.pid;
  }

  /** Runs the rig's kubectl against the rig; never throws on a non-zero status. */
  kubectl(args: readonly string[], input?: string): Promise<ProcessResult> {
    // A private discovery cache: ports are reused across rigs, and ~/.kube stays untouched.
    const flags = [`--kubeconfig=${this.kubeconfigPath}`, `--cache-dir=${join(this.dir, "kubectl-cache")}`];
    return runProcess(join(this.binDir, "kubectl"), [...flags, ...args], input === undefined ? {} : { input });
  }

  /** Like kubectl() but throws with kubectl's stderr on failure; returns stdout. */
  async kubectlOk(args: readonly string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /**
   * One HTTPS request to the apiserver as the admin user; the body is parsed JSON (or text).
   * 429 answers (a restarted apiserver's storage still initializing) are retried as the server
   * asks, for up to about 30 s, like client-go does.
   */
  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
    for (let attempt = 1; ; attempt++) {
      const r = await apiRequest(this.server, this.#ca, this.#token, method, path, body, contentType);
      if (r.status !== 429 || attempt >= 30) return r;
      const retryAfter = (r.body as { details?: { retryAfterSeconds?: number } } | null)?.details?.retryAfterSeconds ?? 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, 5) * 1000));
    }
  }

  /** Creates a core/v1 Node (no kubelet behind it), optionally with an InternalIP address. */
  async addNode(name: string, labels: Readonly<Record<string, string>> = {}, options: NodeOptions = {}): Promise<void> {
    const created = await this.request("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
    });
    if (created.status !== 201) throw new Error(`creating Node ${name}: HTTP ${created.status}: ${JSON.stringify(created.body)}`);
    // status is a subresource: the POST above ignores it, so addresses need their own request.
    if (options.internalIP !== undefined) {
      const patched = await this.request(
        "PATCH",
        `/api/v1/nodes/${encodeURIComponent(name)}/status`,
        { status: { addresses: [{ type: "InternalIP", address: options.internalIP }] } },
        "application/merge-patch+json",
      );
      if (patched.status !== 200) throw new Error(`setting address of Node ${name}: HTTP ${patched.status}: ${JSON.stringify(patched.body)}`);
    }
  }

  /** Deletes a Node; returns false when there was none of that name. */
  async removeNode(name: string): Promise<boolean> {
    const r = await this.request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`);
    if (r.status === 404) return false;
    if (r.status !== 200 && r.status !== 202) throw new Error(`deleting Node ${name}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    return true;
  }
}

/**
 * The first address of an IPv4 CIDR: the `kubernetes` Service's cluster IP, for the serving
 * certificate. Undefined for anything else (the certificate then just lacks it).
 */
function firstServiceIP(cidr: string): string | undefined {
  const [base = "", bits = "32"] = cidr.split("/");
  const octets = base.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const n = ((((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0) & mask;
  const first = (n + 1) >>> 0;
  return [first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join(".");
}
