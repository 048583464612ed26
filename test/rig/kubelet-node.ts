// A real Kubernetes node for tests: the rig's kubelet with Debian's containerd 1.6, both in the
// node's network namespace (its "host network"; hostNetwork pods share it), pods wired by
// whatever CNI configuration the test (or a DaemonSet it deploys) puts into `cniConfDir`, with
// plugins from `cniBinDir`. See docs/k8s-rig.md.
//
//   const ns = new NetnsSet("kn");
//   const net = NodeNetns.create(ns);                                   // before the rig: it binds 198.51.100.1
//   const rig = await KubeRig.start({ listenAddress: net.apiAddress });
//   await rig.startControlPlaneControllers();
//   const node = await KubeletNode.start({ rig, name: "node-1", netns: net.name, nodeIP: net.address,
//     cniBinDir, cniConfDir, images: [busyboxImage().archive] });
//   ... write a conflist into cniConfDir ...
//   await node.waitReady();
//   await node.stop(); await rig.stop(); net.remove();
//
// Attached to a RoutedCluster instead: make the NodeNetns first (with a NetnsSet of the test's
// own: the cluster's does not exist before its rig), start the cluster with
// `rig: { listenAddress: net.apiAddress }`, then `cluster.plugUnderlay(net.name, port, "192.0.2.x")`
// and start the kubelet with that nodeIP. The apiserver then cannot reach the kubelet's server
// (logs, exec): the underlay lives behind the switch namespace, and no host route is added for
// it because 192.0.2.0/24 may be the machine's own subnet (it is on the project VM's eth0).
//
// What it leaves on the host while running, all removed by stop(): its temp dir (containerd
// root/state, kubelet root, pod logs), mounts under it, a cgroup subtree `/<temp dir name>` in
// each hierarchy, pod network namespaces /run/netns/cni-* (removed with each sandbox), and
// /run/containerd/s (shim sockets; containerd 1.6 always puts them there).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ProcessResult } from "./run-process.ts";
import type { KubeRig } from "./rig.ts";
import { killAll, logTail, startProcess, type Started } from "./start-process.ts";
import { Containerd, type ContainerdOptions } from "./containerd.ts";
import { CgroupRoot, unmountUnder } from "./host-state.ts";
import { NodeMountNs } from "./node-mount-ns.ts";
import { must } from "./run-process.ts";
import { pauseImage } from "./test-images.ts";

export interface KubeletNodeOptions {
  rig: KubeRig;
  /** Node name (the kubelet's --hostname-override). */
  name: string;
  /** The node's network namespace; the apiserver (rig.server) must be reachable from it. */
  netns: string;
  /** --node-ip: an address of the netns (the underlay address when on a RoutedCluster). */
  nodeIP: string;
  /**
   * containerd's CNI bin_dir and conf_dir: directories the test owns (never the host's
   * /opt/cni/bin, /etc/cni/net.d), or, with `nodePaths` naming them, those paths as the node sees them.
   */
  cniBinDir: string;
  cniConfDir: string;
  /**
   * Host paths this node gets a private copy of (see node-mount-ns.ts), e.g. /opt/cni/bin,
   * /etc/cni/net.d, /var/lib/petrel: containerd, its CNI plugins, the containers' hostPath
   * volumes and the kubelet see the node's own directory there. Several nodes on one machine
   * need this for a chart's hostPath volumes. Default: none (the host's file system as it is).
   */
  nodePaths?: readonly string[];
  /** OCI archives to import into the runtime before the kubelet starts (see test-images.ts). */
  images?: readonly string[];
  /** The pod sandbox image. Default: the locally built pause image (built and imported if needed). */
  sandboxImage?: string;
  labels?: Readonly<Record<string, string>>;
  /** KubeletConfiguration fields merged over the defaults below. */
  kubeletConfig?: Readonly<Record<string, unknown>>;
  log?: (line: string) => void;
  /** Keep the temp dir (logs) after stop(). Also PETREL_RIG_KEEP=1. */
  keepTempDir?: boolean;
}

/**
 * The kernel tunables the kubelet insists on (pkg/kubelet/cm setupKernelTunables: it writes them
 * unless protectKernelDefaults, which makes it refuse to start instead). They are global, not
 * per network namespace, and this machine is shared: the kubelet reads these values from files
 * bind-mounted over /proc/sys in its own mount namespace, so the host's settings stay as they are.
 */
const kubeletSysctls: Readonly<Record<string, string>> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

// The kubelet's mount namespace: everything else is the host's (`--propagation unchanged`), and its
// root dir is a shared mount, so the volumes it mounts there appear in the host namespace, where
// containerd bind-mounts them into containers. /var/log is replaced so that the kubelet's
// /var/log/containers symlinks stay in the temp dir.
const kubeletWrapper = `#!/bin/sh
# Generated by test/rig/kubelet-node.ts; run as: unshare --mount --propagation unchanged -- sh THIS ...
set -eu
varlog=$1 sysctls=$2 netns=$3
shift 3
mount --bind "$varlog" /var/log
for f in $(cd "$sysctls" && find . -type f); do mount --bind "$sysctls/$f" "/proc/sys/$f"; done
exec nsenter --net="$netns" -- "$@"
`;

export class KubeletNode {
  readonly name: string;
  readonly netns: string;
  readonly nodeIP: string;
  /** Temp dir: containerd/, kubelet/ (root dir), pod-logs/, kubelet.log, containerd/containerd.log. */
  readonly dir: string;
  readonly cgroupRoot: CgroupRoot;
  readonly #rig: KubeRig;
  readonly #options: KubeletNodeOptions;
  #containerd: Containerd;
  #mountNs: NodeMountNs | undefined;
  readonly #sandboxImage: string;
  readonly #keep: boolean;
  readonly #say: (line: string) => void;
  #kubelet: Started | undefined;
  #stopped = false;

  private constructor(o: KubeletNodeOptions, dir: string, containerd: Containerd, cgroupRoot: CgroupRoot, mountNs: NodeMountNs | undefined, sandboxImage: string) {
    this.#sandboxImage = sandboxImage;
    this.name = o.name;
    this.netns = o.netns;
    this.nodeIP = o.nodeIP;
    this.dir = dir;
    this.#containerd = containerd;
    this.#mountNs = mountNs;
    this.cgroupRoot = cgroupRoot;
    this.#rig = o.rig;
    this.#options = o;
    this.#keep = o.keepTempDir ?? process.env.PETREL_RIG_KEEP === "1";
    this.#say = o.log ?? (() => {});
  }

  /** Starts containerd, imports the images, starts the kubelet. Does not wait for Ready (see waitReady()). */
  static async start(o: KubeletNodeOptions): Promise<KubeletNode> {
    const say = o.log ?? (() => {});
    const ownPath = (d: string) => (o.nodePaths ?? []).some((p) => d === p || d.startsWith(`${p}/`));
    for (const d of [o.cniBinDir, o.cniConfDir]) if (!ownPath(d) && !existsSync(d)) throw new Error(`KubeletNode: ${d} does not exist`);
    const kubeletBin = join(o.rig.binDir, "kubelet");
    let pause: string[] = [];
    let sandboxImage = o.sandboxImage;
    if (sandboxImage === undefined) {
      const img = pauseImage();
      sandboxImage = img.ref;
      pause = [img.archive];
    }
    const dir = mkdtempSync(`/tmp/petrel-kubelet-${o.name}-`);
    say(`${o.name}: containerd in ${o.netns}`);
    let containerd: Containerd;
    let mountNs: NodeMountNs | undefined;
    try {
      if (o.nodePaths !== undefined && o.nodePaths.length > 0) mountNs = NodeMountNs.create(dir, o.nodePaths);
      containerd = await Containerd.start(containerdOptions(o, dir, sandboxImage, mountNs));
    } catch (err) {
      mountNs?.remove();
      if (unmountUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const node = new KubeletNode(o, dir, containerd, new CgroupRoot(basename(dir)), mountNs, sandboxImage);
    try {
      for (const archive of [...pause, ...(o.images ?? [])]) await containerd.importImage(archive);
      if (!(await containerd.images()).includes(sandboxImage)) throw new Error(`the sandbox image ${sandboxImage} is not in the runtime: pass its archive in images`);
      node.cgroupRoot.create();
      say(`${o.name}: kubelet, node IP ${o.nodeIP}`);
      node.#kubelet = node.#startKubelet(kubeletBin, o);
      return node;
    } catch (err) {
      // The start error is the one to report; stop() says what it could not clean up in its own.
      await node.stop().catch((stopErr: unknown) => say(`${o.name}: ${String(stopErr)}`));
      throw err;
    }
  }

  #startKubelet(kubeletBin: string, o: KubeletNodeOptions): Started {
    const p = (name: string): string => join(this.dir, name);
    const root = p("kubelet");
    for (const d of [root, p("pod-logs"), p("var-log"), p("volume-plugins"), p("sysctls")]) mkdirSync(d, { recursive: true });
    // The root dir as a shared mount of its own: see kubeletWrapper. With a node mount namespace,
    // there (where containerd runs), not in the host's.
    const inNode = this.#mountNs?.enter() ?? [];
    must([...inNode, "mount", "--bind", root, root]);
    must([...inNode, "mount", "--make-shared", root]);
    for (const [path, value] of Object.entries(kubeletSysctls)) {
      mkdirSync(join(p("sysctls"), path, ".."), { recursive: true });
      writeFileSync(join(p("sysctls"), path), `${value}\n`);
    }
    writeFileSync(p("resolv.conf"), "# test node: no DNS\n");
    writeFileSync(p("kubelet-wrapper.sh"), kubeletWrapper, { mode: 0o755 });
    const config = {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      containerRuntimeEndpoint: `unix://${this.containerd.socket}`,
      // cgroup v1 without systemd. Kubernetes 1.35+ refuses cgroup v1 unless told otherwise.
      cgroupDriver: "cgroupfs",
      failCgroupV1: false,
      cgroupRoot: this.cgroupRoot.path,
      failSwapOn: false,
      // The apiserver reaches the kubelet with no client certificate: anonymous, allowed.
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false }, x509: { clientCAFile: this.#rig.caPath } },
      authorization: { mode: "AlwaysAllow" },
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort: 10248,
      // No cluster DNS: pods get this (empty) resolver configuration.
      resolvConf: p("resolv.conf"),
      podLogsDir: p("pod-logs"),
      volumePluginDir: p("volume-plugins"),
      // A shared test machine: never evict for its disk or memory, never collect our images.
      evictionHard: { "memory.available": "1Mi", "nodefs.available": "1%", "nodefs.inodesFree": "1%", "imagefs.available": "1%" },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      shutdownGracePeriod: "0s",
      ...o.kubeletConfig,
    };
    writeFileSync(p("kubelet-config.json"), JSON.stringify(config, null, 2));
    const labels = Object.entries(o.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    const [launcher = "/usr/bin/unshare", ...prefix] = [...inNode, "/usr/bin/unshare"];
    return startProcess(`kubelet-${this.name}`, launcher, [
      ...prefix,
      "--mount", "--propagation", "unchanged", "--",
      "/bin/sh", p("kubelet-wrapper.sh"), p("var-log"), p("sysctls"), `/run/netns/${this.netns}`,
      kubeletBin,
      `--config=${p("kubelet-config.json")}`,
      `--kubeconfig=${this.#rig.kubeconfigPath}`,
      `--root-dir=${root}`,
      `--cert-dir=${join(root, "pki")}`,
      `--hostname-override=${this.name}`,
      `--node-ip=${this.nodeIP}`,
      ...(labels === "" ? [] : [`--node-labels=${labels}`]),
      "--v=2",
    ], p("kubelet.log"));
  }

  get containerd(): Containerd {
    return this.#containerd;
  }

  /** The node's mount namespace (with `nodePaths`), else undefined. */
  get mountNs(): NodeMountNs | undefined {
    return this.#mountNs;
  }

  /** A host path as this node sees it (its own directory for a `nodePaths` entry). */
  hostPath(path: string): string {
    for (const [target, source] of Object.entries(this.#mountNs?.paths ?? {})) {
      if (path === target || path.startsWith(`${target}/`)) return source + path.slice(target.length);
    }
    return path;
  }

  /**
   * A power cut and boot, as far as processes and mounts go: SIGKILLs the kubelet, containerd,
   * its shims and every container of the node (the Petrel pod too), drops what was mounted (pod
   * volumes, overlay roots, the pods' network namespaces: their veths go with them) and the
   * runtime's state (like /run), then starts containerd and the kubelet again on the same
   * disk (root dirs, images, node paths). The node's network namespace and kernel tables stay:
   * it is the processes that reboot, not the kernel. Needs `nodePaths` (the mount namespace
   * that holds the node's mounts). Resolves once the kubelet runs (not Ready: see waitReady()).
   */
  async reboot(): Promise<void> {
    const mountNs = this.#mountNs;
    if (mountNs === undefined) throw new Error("KubeletNode.reboot() needs nodePaths (a node mount namespace)");
    this.#kubelet?.child.kill("SIGKILL");
    await this.#kubelet?.exited;
    this.#containerd.cri.close();
    this.#containerd.proc.child.kill("SIGKILL");
    await this.#containerd.proc.exited;
    for (const pid of this.#containerd.shimPids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    for (let i = 0; i < 50 && this.cgroupRoot.killAll().length > 0; i++) await sleep(100);
    mountNs.remove([this.dir]);
    for (const d of ["state", "runc"]) rmSync(join(this.#containerd.dir, d), { recursive: true, force: true });
    this.#mountNs = NodeMountNs.create(this.dir, this.#options.nodePaths ?? []);
    this.#containerd = await Containerd.start(containerdOptions(this.#options, this.dir, this.#sandboxImage, this.#mountNs));
    this.#kubelet = this.#startKubelet(join(this.#rig.binDir, "kubelet"), this.#options);
  }

  get kubeletPid(): number | undefined {
    return this.#kubelet?.pid;
  }

  get kubeletLog(): string {
    return join(this.dir, "kubelet.log");
  }

  /** Throws with the log tail when the kubelet or containerd has exited. */
  async assertRunning(): Promise<void> {
    for (const proc of [this.#kubelet, this.containerd.proc]) {
      const info = proc?.exitInfo();
      if (proc !== undefined && info !== undefined) throw new Error(`${proc.name} ${info}; ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    }
  }

  /** The Node's Ready condition ("True", "False", "Unknown") and its message; undefined before registration. */
  async readyCondition(): Promise<{ status: string; reason: string; message: string } | undefined> {
    const r = await this.#rig.request("GET", `/api/v1/nodes/${encodeURIComponent(this.name)}`);
    if (r.status !== 200) return undefined;
    const conds = (r.body as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }).status?.conditions ?? [];
    const c = conds.find((x) => x.type === "Ready");
    return c === undefined ? undefined : { status: c.status, reason: c.reason ?? "", message: c.message ?? "" };
  }

  /** Waits for the Node to register and report Ready (which needs a CNI config in conf_dir). */
  async waitReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "not registered";
    for (;;) {
      await this.assertRunning();
      const c = await this.readyCondition();
      if (c?.status === "True") return;
      if (c !== undefined) last = `Ready=${c.status} ${c.reason}: ${c.message}`;
      if (Date.now() > deadline) throw new Error(`node ${this.name} not Ready after ${timeoutMs} ms (${last}); ${this.kubeletLog}:\n${await logTail(this.kubeletLog)}`);
      await sleep(500);
    }
  }

  /** ctr against this node's containerd, in the CRI's namespace (k8s.io). */
  ctr(args: readonly string[]): Promise<ProcessResult> {
    return this.containerd.ctr(args);
  }

  /**
   * Stops the kubelet, takes every pod sandbox down through the CRI (CNI DEL included), stops
   * containerd and its shims, kills whatever is left in the node's cgroups, unmounts everything
   * under the temp dir and removes it and the cgroups. Idempotent; the Node object stays in the
   * API (rig.removeNode() deletes it). Throws at the end if something could not be removed.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const problems: string[] = [];
    if (this.#kubelet !== undefined) await killAll([this.#kubelet]);
    if (this.#containerd.proc.exitInfo() === undefined) {
      this.#say(`${this.name}: removing pod sandboxes`);
      problems.push(...(await this.containerd.removeAllPods()));
    }
    await this.containerd.stop();
    this.cgroupRoot.killAll();
    this.#mountNs?.remove([this.dir]);
    const mounts = unmountUnder(this.dir);
    if (mounts.length > 0) problems.push(`still mounted: ${mounts.join(", ")}`);
    // Killed processes leave their cgroups a moment later.
    let cgroups: string[] = [];
    for (let i = 0; i < 50; i++) {
      cgroups = this.cgroupRoot.remove();
      if (cgroups.length === 0) break;
      await sleep(100);
    }
    if (cgroups.length > 0) problems.push(`cgroups not removable: ${cgroups.join(", ")}`);
    if (!this.#keep && mounts.length === 0) rmSync(this.dir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`stopping node ${this.name}: ${problems.join("; ")}`);
  }
}

function containerdOptions(o: KubeletNodeOptions, dir: string, sandboxImage: string, mountNs: NodeMountNs | undefined): ContainerdOptions {
  return { name: o.name, netns: o.netns, dir: join(dir, "containerd"), cniBinDir: o.cniBinDir, cniConfDir: o.cniConfDir, sandboxImage, ...(mountNs === undefined ? {} : { mountNsFile: mountNs.file }) };
}
