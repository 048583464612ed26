// A real Kubernetes API for tests: one etcd and one kube-apiserver on 127.0.0.1, started from the
// binaries that test/rig/build-k8s.sh builds (see docs/k8s-rig.md). No kubelet, no controllers:
// objects such as Nodes are created through the API by the test itself.
//
//   const rig = await KubeRig.start();
//   await rig.kubectlOk(["apply", "-f", "crds/"]);
//   await rig.addNode("node-a", { "petrel.dev/zone": "a" });
//   ...
//   await rig.stop();   // kills exactly the two processes it started, removes its temp dir
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ETCD_VERSION, K8S_VERSION } from "./versions.ts";

/** The build script, as named in error messages (relative to the repository root). */
export const BUILD_SCRIPT = "test/rig/build-k8s.sh";

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
}

export interface ProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface NodeOptions {
  /** Written to status.addresses as the node's InternalIP (use 192.0.2.0/24 and friends in tests). */
  internalIP?: string;
}

/** Where build-k8s.sh puts the binaries for the pinned version (mirrors the script's default). */
export function defaultBinDir(): string {
  const fromEnv = process.env.PETREL_K8S_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const cache = process.env.PETREL_CACHE !== undefined && process.env.PETREL_CACHE !== "" ? process.env.PETREL_CACHE : "/var/cache/petrel";
  return join(cache, `k8s-${K8S_VERSION}`, "bin");
}

/**
 * Throws (never returns false) when a binary is missing or was built from another version, with a
 * message naming the build script: tests that need the rig must fail, not skip.
 */
export function checkBinaries(binDir: string): void {
  const wanted: readonly [string, string][] = [
    ["kube-apiserver", `kubernetes ${K8S_VERSION}`],
    ["kubectl", `kubernetes ${K8S_VERSION}`],
    ["etcd", `etcd ${ETCD_VERSION}`],
  ];
  const problems: string[] = [];
  for (const [name, version] of wanted) {
    const path = join(binDir, name);
    const stamp = join(binDir, `.${name}.version`);
    if (!existsSync(path)) {
      problems.push(`${path} is missing`);
    } else if (!existsSync(stamp) || readFileSync(stamp, "utf8").trim() !== version) {
      problems.push(`${path} was not built from ${version}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Kubernetes test binaries are not built: ${problems.join("; ")}. ` +
        `Run ${BUILD_SCRIPT} first (cold build takes roughly 20 minutes on 2 cores; see docs/k8s-rig.md).`,
    );
  }
}

interface Started {
  child: ChildProcess;
  pid: number;
  name: string;
  logPath: string;
  exited: Promise<void>;
  exitInfo: () => string | undefined;
}

const SETPRIV = "/usr/bin/setpriv";

/** Starts a long-running program with its output in a log file. */
function startProcess(name: string, file: string, args: readonly string[], logPath: string): Started {
  const fd = openSync(logPath, "a");
  // setpriv --pdeathsig: the kernel kills the child if this test process dies without stop().
  // setpriv execs the program, so the pid we hold is the program's own pid.
  const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ["--pdeathsig", "KILL", "--", file, ...args]] : [file, [...args]];
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  let info: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      info = signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
      resolve();
    });
    child.once("error", (err) => {
      info = `failed to start: ${err.message}`;
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  return { child, pid: child.pid, name, logPath, exited, exitInfo: () => info };
}

/** Runs a program to completion, feeding `input` on stdin; never throws on a non-zero status. */
export function runProcess(file: string, args: readonly string[], input?: string): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.once("error", (e) => resolve({ status: 127, stdout: "", stderr: e.message }));
    child.once("close", (code, signal) =>
      resolve({
        status: code ?? (signal !== null ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(input ?? "");
  });
}

async function mustRun(file: string, args: readonly string[]): Promise<string> {
  const r = await runProcess(file, args);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** A free TCP port on 127.0.0.1 (the kernel picks; a race with other processes is retried by start). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === "object") resolve(addr.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function logTail(path: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

class PortInUse extends Error {}

/** Makes a CA, a serving certificate for 127.0.0.1/localhost and a service-account key pair. */
async function makeCerts(dir: string): Promise<void> {
  const o = (args: readonly string[]): Promise<string> => mustRun("openssl", args);
  const p = (name: string): string => join(dir, name);
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("ca.key")]);
  await o(["req", "-x509", "-new", "-key", p("ca.key"), "-subj", "/CN=petrel-rig-ca", "-days", "2", "-out", p("ca.crt")]);
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("apiserver.key")]);
  await o(["req", "-new", "-key", p("apiserver.key"), "-subj", "/CN=kube-apiserver", "-out", p("apiserver.csr")]);
  await writeFile(
    p("apiserver.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
      "",
    ].join("\n"),
  );
  await o([
    "x509", "-req", "-in", p("apiserver.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", p("apiserver.ext"), "-out", p("apiserver.crt"),
  ]);
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("sa.key")]);
  await o(["pkey", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub")]);
}

function kubeconfigYaml(server: string, caPath: string, token: string): string {
  // JSON is valid YAML; JSON.stringify quotes every value correctly.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "petrel-rig", cluster: { server, "certificate-authority": caPath } }],
    users: [{ name: "petrel-rig-admin", user: { token } }],
    contexts: [{ name: "petrel-rig", context: { cluster: "petrel-rig", user: "petrel-rig-admin" } }],
    "current-context": "petrel-rig",
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/** etcd plus kube-apiserver on 127.0.0.1, with an admin kubeconfig. */
export class KubeRig {
  /** Admin kubeconfig (bearer token of a system:masters user). */
  readonly kubeconfigPath: string;
  /** e.g. https://127.0.0.1:41234 */
  readonly server: string;
  readonly binDir: string;
  /** Temp dir with certs, logs (etcd.log, kube-apiserver.log) and etcd data. */
  readonly dir: string;
  readonly etcdPid: number;
  readonly apiserverPid: number;

  readonly #token: string;
  readonly #ca: Buffer;
  readonly #procs: readonly Started[];
  readonly #keep: boolean;
  #stopped = false;

  private constructor(init: {
    dir: string;
    binDir: string;
    server: string;
    token: string;
    ca: Buffer;
    kubeconfigPath: string;
    procs: readonly Started[];
    keep: boolean;
  }) {
    this.dir = init.dir;
    this.binDir = init.binDir;
    this.server = init.server;
    this.#token = init.token;
    this.#ca = init.ca;
    this.kubeconfigPath = init.kubeconfigPath;
    this.#procs = init.procs;
    this.#keep = init.keep;
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
      await makeCerts(dir);
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
          await writeFile(kubeconfigPath, kubeconfigYaml(server.url, join(dir, "ca.crt"), token), { mode: 0o600 });
          return new KubeRig({ dir, binDir, server: server.url, token, ca, kubeconfigPath, procs: started, keep });
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

  /** Kills the apiserver, then etcd (by their pids), and removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await killAll(this.#procs);
    if (!this.#keep) await rm(this.dir, { recursive: true, force: true });
  }

  /** Runs the rig's kubectl against the rig; never throws on a non-zero status. */
  kubectl(args: readonly string[], input?: string): Promise<ProcessResult> {
    // A private discovery cache: ports are reused across rigs, and ~/.kube stays untouched.
    const flags = [`--kubeconfig=${this.kubeconfigPath}`, `--cache-dir=${join(this.dir, "kubectl-cache")}`];
    return runProcess(join(this.binDir, "kubectl"), [...flags, ...args], input);
  }

  /** Like kubectl() but throws with kubectl's stderr on failure; returns stdout. */
  async kubectlOk(args: readonly string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** One HTTPS request to the apiserver as the admin user; the body is parsed JSON (or text). */
  request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
    return apiRequest(this.server, this.#ca, this.#token, method, path, body, contentType);
  }

  /** Creates a core/v1 Node (no kubelet behind it), optionally with an InternalIP address. */
  async addNode(name: string, labels: Readonly<Record<string, string>> = {}, options: NodeOptions = {}): Promise<void> {
    const created = await this.request("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
    });
    if (created.status !== 201) throw new Error(`creating Node ${name}: HTTP ${created.status}: ${JSON.stringify(created.body)}`);
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

async function startEtcd(
  binDir: string,
  dir: string,
  attempt: number,
  timeoutMs: number,
): Promise<{ proc: Started; clientUrl: string }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const proc = startProcess("etcd", join(binDir, "etcd"), [
    "--name=rig",
    `--data-dir=${join(dir, `etcd-data-${attempt}`)}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=rig=${peerUrl}`,
    "--initial-cluster-state=new",
    "--unsafe-no-fsync", // test data only: do not wait for the disk
    "--log-level=warn",
  ], join(dir, "etcd.log"));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = proc.exitInfo();
    if (info !== undefined) {
      const tail = await logTail(proc.logPath);
      if (/address already in use/.test(tail)) throw new PortInUse(`etcd: port in use`);
      throw new Error(`etcd ${info} before it was healthy; ${proc.logPath}:\n${tail}`);
    }
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { health?: string };
      if (res.ok && body.health === "true") return { proc, clientUrl };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`etcd not healthy after ${timeoutMs} ms; ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    await sleep(100);
  }
}

async function startApiserver(
  binDir: string,
  dir: string,
  etcdUrl: string,
  token: string,
  ca: Buffer,
  options: KubeRigOptions,
  timeoutMs: number,
): Promise<{ proc: Started; url: string }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const p = (name: string): string => join(dir, name);
  const proc = startProcess("kube-apiserver", join(binDir, "kube-apiserver"), [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
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
    // The advertised address is loopback, which Endpoints may not hold: keep no endpoints.
    "--endpoint-reconciler-type=none",
    "--allow-privileged=true",
    "--profiling=false",
    "--v=1",
  ], p("kube-apiserver.log"));
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const info = proc.exitInfo();
    if (info !== undefined) {
      const tail = await logTail(proc.logPath);
      if (/address already in use/.test(tail)) throw new PortInUse("kube-apiserver: port in use");
      throw new Error(`kube-apiserver ${info} before it was ready; ${proc.logPath}:\n${tail}`);
    }
    try {
      const r = await apiRequest(url, ca, token, "GET", "/readyz", undefined, "application/json", 3000);
      if (r.status === 200) return { proc, url };
      last = `HTTP ${r.status}: ${typeof r.body === "string" ? r.body.slice(-2000) : JSON.stringify(r.body)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      // Keep the process in `started` handling: the caller kills it.
      await killAll([proc]);
      throw new Error(`kube-apiserver not ready after ${timeoutMs} ms (last: ${last}); ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    }
    await sleep(200);
  }
}

function apiRequest(
  server: string,
  ca: Buffer,
  token: string,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
  timeoutMs = 30_000,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(
      new URL(path, server),
      {
        method,
        ca,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (e.g. /readyz)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** SIGTERM each process by its pid (last started first), SIGKILL after 10 s, and wait for the exit. */
async function killAll(procs: readonly Started[]): Promise<void> {
  for (const proc of [...procs].reverse()) {
    if (proc.exitInfo() !== undefined) continue;
    proc.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (proc.exitInfo() === undefined) proc.child.kill("SIGKILL");
    }, 10_000);
    await proc.exited;
    clearTimeout(timer);
  }
}
