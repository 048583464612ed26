// A Kubernetes cluster of real kubelet nodes on one machine, with Petrel installed by `helm
// install`: the rig's etcd, kube-apiserver, kube-controller-manager and kube-scheduler on the host;
// N nodes, each a network namespace on a routed underlay (203.0.113.0/24, a bridge in a "switch"
// namespace) running containerd 1.6 + kubelet (test/rig/kubelet-node.ts) and kube-proxy
// (kube-proxy.ts) as node processes, each with its own /opt/cni/bin, /etc/cni/net.d and
// /var/lib/petrel (node-mount-ns.ts), so the chart's defaults apply unchanged; CoreDNS from the
// Kubernetes release's own addon manifest as cluster DNS. Used by the conformance run, the fault
// drills and the pod-startup benchmark (docs/k8s-rig.md, "Three kubelet nodes").
//
// The host is on the underlay too (203.0.113.1/32, with a /32 route per node; never the whole
// /24 in the root namespace, where this machine's registries live at 203.0.113.80): the apiserver listens there, so nodes and pods
// reach it directly and through the `kubernetes` Service, and it reaches the kubelets (logs, exec,
// port-forward) and, by a route per IPAMBlock via its node (syncHostRoutes), the pod network
// (the apiserver's pod and service proxy).
//
//   const c = await KubeletCluster.start({ label: "kc", nodes: 3, log });
//   await c.installPetrel(); await c.installCoreDNS();
//   ... c.kubectl([...]) ...
//   await c.stop();
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeRig, runProcess, type ProcessResult } from "../rig/rig.ts";
import { checkBinaries, clusterBinaries, defaultBinDir, petrelCache, rigBinaries } from "../rig/binaries.ts";
import { K8S_VERSION } from "../rig/versions.ts";
import { killAll, type Started } from "../rig/start-process.ts";
import { e2eImages, upstreamPauseImage } from "../rig/e2e-images.ts";
import type { TestImage } from "../rig/test-images.ts";
import { goModuleDir } from "../rig/go-modules.ts";
import { chartDir, helmOk } from "./helm.ts";
import { startKubeProxy } from "../rig/kube-proxy.ts";
import { KubeletNode } from "../rig/kubelet-node.ts";
import { NetnsSet } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { must, run } from "../rig/run-process.ts";

export const hostUnderlayAddress = "203.0.113.1";
export const podPool = "198.18.0.0/16";
export const serviceRange = "198.19.255.0/24";
export const clusterDNS = "198.19.255.10";
export const clusterDomain = "cluster.local";
export const petrelNamespace = "petrel-system";
/** The node-local paths the chart's hostPath volumes and containerd's CNI config use. */
export const nodePaths = ["/opt/cni/bin", "/etc/cni/net.d", "/var/lib/petrel"] as const;

export interface ClusterNode {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
  kubelet: KubeletNode;
  kubeProxy: Started;
}

export interface PodState {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  readonly ready: boolean;
  readonly deleting: boolean;
  /** Sum of the containers' restart counts. */
  readonly restarts: number;
}

export interface KubeletClusterOptions {
  /** Short label for namespace, link and directory names. */
  readonly label: string;
  readonly nodes: number;
  readonly log?: (line: string) => void;
  /**
   * The images imported into every node besides Petrel's own. Default: every image the conformance
   * run needs (e2eImages(): agnhost, CoreDNS, ...); the demo passes the pause and busybox images only.
   */
  readonly images?: () => readonly TestImage[];
  /**
   * The binaries needed besides the rig's seven (checked before anything starts). Default
   * clusterBinaries (kube-proxy, agnhost, e2e.test, coredns); the demo needs kube-proxy only.
   */
  readonly binaries?: readonly (readonly [name: string, stamp: string])[];
}

/** package.json's version: the tag of the chart's images. */
export const petrelVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

export class KubeletCluster {
  readonly rig: KubeRig;
  readonly ns: NetnsSet;
  readonly switchNs: string;
  readonly hostLink: string;
  readonly dir: string;
  readonly nodes: ClusterNode[] = [];
  readonly images: readonly string[];
  readonly #say: (line: string) => void;
  #nodeCount = 0;
  #stopped = false;
  #routeTimer: NodeJS.Timeout | undefined;

  private constructor(rig: KubeRig, ns: NetnsSet, switchNs: string, hostLink: string, dir: string, images: readonly string[], say: (line: string) => void) {
    this.rig = rig;
    this.ns = ns;
    this.switchNs = switchNs;
    this.hostLink = hostLink;
    this.dir = dir;
    this.images = images;
    this.#say = say;
  }

  /** Underlay, rig (apiserver on 203.0.113.1, controllers), images, and `nodes` Ready-to-be nodes (no CNI yet). */
  static async start(o: KubeletClusterOptions): Promise<KubeletCluster> {
    const say = o.log ?? (() => {});
    checkBinaries(defaultBinDir(), [...rigBinaries, ...(o.binaries ?? clusterBinaries)]);
    say("building the images (cached when their inputs are unchanged)");
    const t0 = Date.now();
    const imageDir = join(petrelCache(), "images");
    const build = await runProcess(join(repoRoot, "helm", "images", "build.sh"), ["--oci-dir", imageDir]);
    if (build.status !== 0) throw new Error(`helm/images/build.sh failed:\n${build.stderr.slice(-3000)}`);
    const images = [...["controller", "node"].map((n) => join(imageDir, `petrel-${n}-${petrelVersion}.oci.tar`)), ...(o.images ?? e2eImages)().map((i) => i.archive)];
    say(`images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const ns = new NetnsSet(o.label);
    const hostLink = `pu${process.pid}`.slice(0, 15);
    let rig: KubeRig | undefined;
    const switchNs = ns.create();
    try {
      must(["ip", "-n", switchNs, "link", "add", "br0", "type", "bridge"]);
      must(["ip", "-n", switchNs, "link", "set", "br0", "up"]);
      must(["ip", "link", "add", hostLink, "type", "veth", "peer", "name", "host", "netns", switchNs]);
      must(["ip", "-n", switchNs, "link", "set", "host", "master", "br0", "up"]);
      // A /32 and a /32 route per node, never 203.0.113.0/24 on a root-namespace link: this
      // machine's package registries sit at 203.0.113.80 (MACHINE-NOTES), and a connected /24
      // here would route them into the test underlay while the cluster runs.
      must(["ip", "addr", "add", `${hostUnderlayAddress}/32`, "dev", hostLink]);
      // The host is the nodes' default gateway and routes to every block (syncHostRoutes), but it
      // must not forward between nodes: with the root namespace's forwarding on (a machine where
      // it was set by hand) a node that lost a block's BGP route would still reach it through the
      // host, and the drills would pass or fail with the machine's settings. Per link, so the
      // host's own setting is not touched (IPv4 forwarding is decided by the ingress interface).
      writeFileSync(`/proc/sys/net/ipv4/conf/${hostLink}/forwarding`, "0");
      must(["ip", "link", "set", hostLink, "up"]);
      say("starting etcd, kube-apiserver (on the underlay), controller-manager, scheduler");
      rig = await KubeRig.start({ listenAddress: hostUnderlayAddress, endpointReconciler: "lease", serviceClusterIPRange: serviceRange });
      await rig.startControlPlaneControllers();
    } catch (err) {
      await rig?.stop();
      run(["ip", "link", "del", hostLink]);
      ns.removeAll();
      throw err;
    }
    const c = new KubeletCluster(rig, ns, switchNs, hostLink, mkdtempSync(`/tmp/petrel-${o.label}-`), images, say);
    try {
      for (let i = 0; i < o.nodes; i++) await c.addNode();
      c.#startHostRouter();
      return c;
    } catch (err) {
      await c.stop().catch((e: unknown) => say(`cleanup after a failed start: ${String(e)}`));
      throw err;
    }
  }

  /** One more node: netns on the underlay, containerd + kubelet (images imported), kube-proxy. */
  async addNode(): Promise<ClusterNode> {
    const index = ++this.#nodeCount;
    const name = `node-${index}`;
    const ip = `203.0.113.${10 + index}`;
    const netns = this.ns.create();
    const port = `n${index}`;
    must(["ip", "-n", this.switchNs, "link", "add", port, "type", "veth", "peer", "name", "ul0", "netns", netns]);
    must(["ip", "-n", this.switchNs, "link", "set", port, "master", "br0", "up"]);
    must(["ip", "-n", netns, "addr", "add", `${ip}/24`, "dev", "ul0"]);
    must(["ip", "-n", netns, "link", "set", "ul0", "up"]);
    must(["ip", "route", "replace", `${ip}/32`, "dev", this.hostLink, "src", hostUnderlayAddress]);
    // Pods' gateway 169.254.1.1 is answered by proxy ARP only for targets routed elsewhere.
    must(["ip", "-n", netns, "route", "add", "default", "via", hostUnderlayAddress]);
    must(["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    const nodeDir = join(this.dir, name);
    mkdirSync(nodeDir, { recursive: true });
    // The node's resolver: the host, where nothing answers DNS (CoreDNS forwards there; names
    // outside the cluster fail fast, and no query leaves the machine).
    writeFileSync(join(nodeDir, "resolv.conf"), `nameserver ${hostUnderlayAddress}\n`);
    this.#say(`${name}: ${ip}, containerd + kubelet, kube-proxy`);
    const kubelet = await KubeletNode.start({
      rig: this.rig, name, netns, nodeIP: ip,
      cniBinDir: "/opt/cni/bin", cniConfDir: "/etc/cni/net.d", nodePaths,
      images: this.images, sandboxImage: upstreamPauseImage().ref,
      kubeletConfig: { clusterDNS: [clusterDNS], clusterDomain, resolvConf: join(nodeDir, "resolv.conf"), maxPods: 150 },
      log: this.#say,
    });
    try {
      const kubeProxy = await this.#startKubeProxy(name, netns, nodeDir);
      const node: ClusterNode = { name, netns, ip, kubelet, kubeProxy };
      this.nodes.push(node);
      return node;
    } catch (err) {
      await kubelet.stop().catch(() => {});
      throw err;
    }
  }

  #startKubeProxy(name: string, netns: string, dir: string): Promise<Started> {
    return startKubeProxy({ binDir: this.rig.binDir, kubeconfig: this.rig.kubeconfigPath, name, netns, clusterCIDR: podPool, dir });
  }

  node(name: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name} in the cluster`);
    return n;
  }

  /**
   * The host's way into the pod network, as a top-of-rack router would learn it: a route for each
   * IPAMBlock via its node, from the API, every second. Not one multipath route over the nodes: a
   * node that forwards the host's packets to another node sees one direction of each TCP
   * connection only, and its conntrack drops the rest as INVALID (seen: the apiserver's pod
   * proxy timed out while ping worked). Returns the number of route changes.
   */
  async syncHostRoutes(): Promise<number> {
    const r = await this.rig.request("GET", "/apis/petrel.dev/v1alpha1/ipamblocks");
    if (r.status !== 200) return 0;
    const byName = new Map(this.nodes.map((n) => [n.name, n.ip]));
    const want = new Map<string, string>();
    for (const b of (r.body as { items?: { spec?: { cidr?: string; node?: string } }[] }).items ?? []) {
      const ip = byName.get(b.spec?.node ?? "");
      if (b.spec?.cidr !== undefined && ip !== undefined) want.set(b.spec.cidr, ip);
    }
    const have = new Map<string, string>();
    const shown = run(["ip", "-j", "route", "show", "dev", this.hostLink, "proto", "static"]);
    for (const x of (JSON.parse(shown.stdout || "[]") as { dst: string; gateway?: string }[])) have.set(x.dst, x.gateway ?? "");
    let changes = 0;
    for (const [cidr, ip] of want) {
      if (have.get(cidr) === ip) continue;
      if (run(["ip", "route", "replace", cidr, "via", ip, "dev", this.hostLink, "proto", "static"]).status === 0) changes++;
    }
    for (const cidr of have.keys()) {
      if (!want.has(cidr) && run(["ip", "route", "del", cidr, "dev", this.hostLink, "proto", "static"]).status === 0) changes++;
    }
    return changes;
  }

  #startHostRouter(): void {
    let busy = false;
    this.#routeTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.syncHostRoutes().catch(() => 0).finally(() => {
        busy = false;
      });
    }, 1000);
  }

  kubectl(args: readonly string[], input?: string): Promise<ProcessResult> {
    return this.rig.kubectl(args, input);
  }

  kubectlOk(args: readonly string[], input?: string): Promise<string> {
    return this.rig.kubectlOk(args, input);
  }

  /** `helm install petrel` with the chart's defaults but the pool (a test range) and `values`; waits for the rollouts and Ready nodes. */
  async installPetrel(values: Record<string, unknown> = {}): Promise<void> {
    const file = join(this.dir, "petrel-values.json");
    writeFileSync(file, JSON.stringify({ defaultPool: { cidr: podPool }, ...values }));
    const t0 = Date.now();
    await helmOk(["install", "petrel", chartDir, "--namespace", petrelNamespace, "--create-namespace", "-f", file], this.rig.kubeconfigPath);
    await this.kubectlOk(["-n", petrelNamespace, "rollout", "status", "daemonset/petrel-node", "--timeout=300s"]);
    await this.kubectlOk(["-n", petrelNamespace, "rollout", "status", "deployment/petrel-controller", "--timeout=300s"]);
    for (const n of this.nodes) await n.kubelet.waitReady(120_000);
    this.#say(`helm install petrel: DaemonSet, controller and ${this.nodes.length} Ready nodes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** CoreDNS from the pinned release's cluster/addons/dns/coredns manifest, at the cluster DNS address. */
  async installCoreDNS(): Promise<void> {
    const base = readFileSync(join(goModuleDir("k8s.io/kubernetes", K8S_VERSION), "cluster", "addons", "dns", "coredns", "coredns.yaml.base"), "utf8");
    const manifest = base.replaceAll("__DNS__DOMAIN__", clusterDomain).replaceAll("__DNS__SERVER__", clusterDNS).replaceAll("__DNS__MEMORY__LIMIT__", "170Mi");
    await this.kubectlOk(["apply", "-f", "-"], manifest);
    await this.kubectlOk(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=180s"]);
    this.#say("CoreDNS ready");
  }

  /** Pod name -> {node, ip, phase} for pods matching the selector in a namespace. */
  async pods(namespace: string, selector: string): Promise<PodState[]> {
    const list = JSON.parse(await this.kubectlOk(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])) as {
      items: {
        metadata: { name: string; deletionTimestamp?: string };
        spec: { nodeName?: string };
        status: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
      }[];
    };
    return list.items.map((p) => ({
      name: p.metadata.name,
      node: p.spec.nodeName ?? "",
      ip: p.status.podIP ?? "",
      ready: p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true,
      deleting: p.metadata.deletionTimestamp !== undefined,
      restarts: (p.status.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
    }));
  }

  /** A power cut and boot of one node's processes (containerd, kubelet, every container, kube-proxy); see KubeletNode.reboot(). */
  async rebootNode(name: string): Promise<void> {
    const n = this.node(name);
    n.kubeProxy.child.kill("SIGKILL");
    await n.kubeProxy.exited;
    await n.kubelet.reboot();
    n.kubeProxy = await this.#startKubeProxy(n.name, n.netns, join(this.dir, n.name));
  }

  /** Takes a node out for good: its processes stop (pods torn down), its Node object is deleted, its netns removed. */
  async removeNode(name: string): Promise<void> {
    const n = this.node(name);
    this.nodes.splice(this.nodes.indexOf(n), 1);
    await this.syncHostRoutes();
    await killAll([n.kubeProxy]);
    await n.kubelet.stop();
    await this.rig.removeNode(n.name);
    this.ns.remove(n.netns);
    run(["ip", "route", "del", `${n.ip}/32`, "dev", this.hostLink]);
  }

  /** Stops everything it started, by pid and name; throws at the end if something could not be cleaned up. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#routeTimer);
    const errors: string[] = [];
    const step = async (f: () => Promise<unknown> | unknown): Promise<void> => {
      try {
        await f();
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    };
    await step(() => killAll(this.nodes.map((n) => n.kubeProxy)));
    for (const n of this.nodes) await step(() => n.kubelet.stop());
    this.nodes.length = 0;
    await step(() => this.rig.stop());
    // The host's block routes go with the link.
    run(["ip", "link", "del", this.hostLink]);
    this.ns.removeAll();
    if (process.env.PETREL_RIG_KEEP !== "1") rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`stopping the cluster: ${errors.join("; ")}`);
  }
}

/** Waits until `probe` returns a value (not undefined), polling every 500 ms. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}
