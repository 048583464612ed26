// A routed Petrel cluster on one machine, for the e2e tests, the demo and bench:routes:
// a real etcd + kube-apiserver (test/rig) and petrel-controller; an underlay segment
// 192.0.2.0/24 (a bridge in a "switch" namespace); N nodes, each a network namespace with gobgpd
// (API on a unix socket) and a petrel-agent (run on the host, programming its node's namespace
// with --netns); optionally BIRD as the top-of-rack router at 192.0.2.254 (AS 65000), peering
// with every node over eBGP; pods wired by the CNI plugin from the blocks the agents write.
// Everything is removed by stop(), by the pids and names it made.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../rig/free-port.ts";
import { KubeRig, type KubeRigOptions } from "../rig/rig.ts";
import { killAll, logTail, startProcess, type Started } from "../rig/start-process.ts";
import { startBirdTor, type BirdTor } from "./bird.ts";
import { callPluginAsync } from "./cni.ts";
import { ControllerProcess, fastControllerFlags, pinnedNode } from "./controller.ts";
import { killGobgpd, startGobgpd, type Gobgpd } from "./gobgpd.ts";
import { NetnsSet, netnsPath } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { must, run } from "../rig/run-process.ts";

export const clusterAsn = 64512;
export const torAsn = 65000;
export const torAddress = "192.0.2.254";
export const agentBin = join(repoRoot, "dist", "bin", "petrel-agent");

/** The Node flags of the agent's shebang (test/scripts/build.ts), for running it with the pinned Node. */
export function agentNodeFlags(): string[] {
  const first = readFileSync(agentBin, "utf8").slice(0, 300).split("\n")[0] ?? "";
  const own = (/\bnode\s+(.*)$/.exec(first)?.[1] ?? "").split(/\s+/).filter((f) => f.startsWith("--"));
  // Benchmarks only: more Node flags for every agent (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const extra = (process.env.PETREL_BENCH_AGENT_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f.startsWith("--"));
  return [...own, ...extra];
}

export interface ClusterNode {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  readonly stateDir: string;
  gobgpd: Gobgpd;
  agent: Started;
  readonly healthPort: number;
}

export interface Pod {
  readonly name: string;
  readonly node: ClusterNode;
  readonly netns: string;
  readonly ip: string;
  readonly containerId: string;
}

export interface RoutedClusterOptions {
  readonly nodes: number;
  /** Short label for namespace names (ptl-<label>-<pid>-<n>). */
  readonly label: string;
  readonly poolCidr?: string;
  /** The default pool's spec.blockSize (unset: the family default, 26). */
  readonly poolBlockSize?: number;
  readonly withTor?: boolean;
  readonly agentFlags?: readonly string[];
  /** BGPConfiguration spec fields (merged over the test defaults). */
  readonly bgp?: Record<string, unknown>;
  readonly log?: (line: string) => void;
  /**
   * Options of the cluster's KubeRig, e.g. `{ listenAddress: "198.51.100.1" }` so that a kubelet
   * node (test/rig/kubelet-node.ts) in a namespace on the underlay can reach the apiserver.
   */
  readonly rig?: KubeRigOptions;
  /**
   * The Petrel API (CRDs, admission policy, default IPPool and BGPConfiguration) and the
   * controller come from the Helm chart, which the test installs after start(): start() makes
   * only the rig and the underlay, so `nodes` must be 0 (add them with addNode() afterwards).
   */
  readonly chartManaged?: boolean;
}

const obj = (kind: string, name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind, metadata: { name }, spec });

export class RoutedCluster {
  readonly rig: KubeRig;
  readonly dir: string;
  readonly ns: NetnsSet;
  readonly switchNs: string;
  readonly torNs: string;
  readonly nodes: ClusterNode[] = [];
  readonly pods: Pod[] = [];
  controller: ControllerProcess | undefined;
  tor: BirdTor | undefined;
  readonly #options: RoutedClusterOptions;
  #podCount = 0;

  private constructor(rig: KubeRig, options: RoutedClusterOptions) {
    this.rig = rig;
    this.#options = options;
    this.ns = new NetnsSet(options.label);
    this.switchNs = this.ns.create();
    try {
      this.torNs = this.ns.create();
    } catch (err) {
      this.ns.removeAll();
      throw err;
    }
    // Made last: a constructor that throws leaves nothing behind.
    this.dir = mkdtempSync(`/tmp/petrel-${options.label}-`);
  }

  static async start(options: RoutedClusterOptions): Promise<RoutedCluster> {
    const say = options.log ?? (() => {});
    say("starting etcd and kube-apiserver");
    const rig = await KubeRig.start(options.rig);
    let c: RoutedCluster | undefined;
    try {
      c = new RoutedCluster(rig, options);
      await c.#init();
      return c;
    } catch (err) {
      await c?.stop();
      await rig.stop();
      throw err;
    }
  }

  async #init(): Promise<void> {
    const say = this.#options.log ?? (() => {});
    const rig = this.rig;
    if (this.#options.chartManaged === true) {
      if (this.#options.nodes !== 0) throw new Error("RoutedCluster: with chartManaged, start with nodes: 0 and add them after the chart is installed");
      this.#makeUnderlay();
      return;
    }
    await rig.kubectlOk(["apply", "-f", join(repoRoot, "crds")]);
    await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    for (const f of ["ippool-overlap.yaml", "cidr-bounds.yaml", "ipamblock-labels.yaml"]) await rig.kubectlOk(["apply", "-f", join(repoRoot, "crds", "admission", f)]);
    await rig.kubectlOk(["apply", "-f", "-"], obj("IPPool", "default", { cidr: this.#options.poolCidr ?? "198.18.0.0/20", ...(this.#options.poolBlockSize === undefined ? {} : { blockSize: this.#options.poolBlockSize }) }));
    await rig.kubectlOk(["apply", "-f", "-"], obj("BGPConfiguration", "default", {
      asNumber: clusterAsn,
      timers: { holdTimeSeconds: 9, keepaliveIntervalSeconds: 3, connectRetrySeconds: 5 },
      ...this.#options.bgp,
    }));
    this.#makeUnderlay();
    say("starting petrel-controller");
    // Default leader-election timings: these clusters test routing, not hand-over, and a 20-node
    // cluster loads this machine enough that the tests' tight lease was lost (the leader exits).
    this.controller = await ControllerProcess.start(rig, "demo", fastControllerFlags.filter((f) => !f.startsWith("--leader-elect-")));
    await this.controller.waitReady();
    for (let i = 0; i < this.#options.nodes; i++) await this.addNode();
    if (this.#options.withTor ?? true) await this.startTor();
  }

  /** The underlay: one bridge in the switch namespace; the ToR hangs off it too. */
  #makeUnderlay(): void {
    must(["ip", "-n", this.switchNs, "link", "add", "br0", "type", "bridge"]);
    must(["ip", "-n", this.switchNs, "link", "set", "br0", "up"]);
    this.plugUnderlay(this.torNs, "tor", torAddress);
  }

  /** Connects `netns` to the underlay bridge through a veth named `ul0` on its side. */
  plugUnderlay(netns: string, port: string, address: string): void {
    must(["ip", "-n", this.switchNs, "link", "add", port, "type", "veth", "peer", "name", "ul0", "netns", netns]);
    must(["ip", "-n", this.switchNs, "link", "set", port, "master", "br0", "up"]);
    must(["ip", "-n", netns, "addr", "add", `${address}/24`, "dev", "ul0"]);
    must(["ip", "-n", netns, "link", "set", "ul0", "up"]);
  }

  /** A new node: netns on the underlay, Node object, gobgpd, agent. */
  async addNode(labels: Record<string, string> = {}): Promise<ClusterNode> {
    const say = this.#options.log ?? (() => {});
    const index = this.nodes.length + 1;
    if (index > 200) throw new Error("at most 200 nodes on 192.0.2.0/24");
    const name = `node-${index}`;
    const address = `192.0.2.${10 + index}`;
    const netns = this.ns.create();
    this.plugUnderlay(netns, `n${index}`, address);
    // Pods' gateway 169.254.1.1 is answered by proxy ARP only for targets routed elsewhere.
    must(["ip", "-n", netns, "route", "add", "default", "via", torAddress]);
    // Forwarding off, as on a freshly booted node: the agent must turn it on (docs/agent.md). Set,
    // not assumed: a new netns copies the root namespace's IPv4 settings, which may have it on.
    must(["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    const stateDir = join(this.dir, name);
    await this.rig.addNode(name, labels, { internalIP: address });
    say(`${name}: ${address}, gobgpd and petrel-agent`);
    const gobgpd = await startGobgpd(name, netns, this.dir);
    const healthPort = await freePort();
    const agent = this.#startAgent(name, netns, stateDir, gobgpd, healthPort);
    const node: ClusterNode = { name, netns, address, stateDir, gobgpd, agent, healthPort };
    this.nodes.push(node);
    return node;
  }

  #startAgent(name: string, netns: string, stateDir: string, gobgpd: Gobgpd, healthPort: number): Started {
    return startProcess(`petrel-agent-${name}`, pinnedNode, [
      ...agentNodeFlags(),
      agentBin,
      `--kubeconfig=${this.rig.kubeconfigPath}`,
      `--node-name=${name}`,
      `--gobgp-address=${gobgpd.address}`,
      `--state-dir=${stateDir}`,
      `--netns=${netns}`,
      `--health-address=127.0.0.1:${healthPort}`,
      "--namespace=default",
      // The slow full comparison: long enough that the tests see the event-driven paths at work.
      "--resync-period=60s",
      "--route-settle-time=5s",
      "--status-interval=500ms",
      "--log-level=debug",
      ...(this.#options.agentFlags ?? []),
    ], join(this.dir, `agent-${name}.log`));
  }

  async startTor(): Promise<void> {
    const neighbors = this.nodes.map((n) => ({ name: n.name, address: n.address, asn: clusterAsn }));
    this.tor = await startBirdTor(this.torNs, this.dir, torAddress, torAsn, neighbors, "198.18.0.0/15");
    await this.rig.kubectlOk(["apply", "-f", "-"], obj("BGPPeer", "tor", { peerIP: torAddress, asNumber: torAsn }));
  }

  /** Waits until every agent answers /readyz and holds its blocks file. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of this.nodes) {
      for (;;) {
        if (n.agent.exitInfo() !== undefined) throw new Error(`agent ${n.name} ${n.agent.exitInfo()}:\n${await logTail(n.agent.logPath)}`);
        const ok = await fetch(`http://127.0.0.1:${n.healthPort}/readyz`).then((r) => r.status === 200, () => false);
        if (ok && existsSync(join(n.stateDir, "blocks.json"))) break;
        if (Date.now() > deadline) throw new Error(`agent ${n.name} not ready after ${timeoutMs} ms:\n${await logTail(n.agent.logPath)}`);
        await sleep(200);
      }
    }
  }

  /** Starts a pod (a netns) on `node` through the CNI plugin; returns its address. */
  async addPod(node: ClusterNode): Promise<Pod> {
    const netns = this.ns.create();
    const name = `pod-${++this.#podCount}`;
    const containerId = `${name}-${process.pid}`;
    const r = await callPluginAsync({
      command: "ADD",
      config: { cniVersion: "1.0.0", name: "petrel", type: "petrel", mtu: 1500, stateDir: node.stateDir },
      containerId,
      netns: netnsPath(netns),
      ifname: "eth0",
    }, undefined, node.netns);
    if (r.status !== 0) throw new Error(`ADD of ${name} on ${node.name} failed: ${r.stdout}${r.stderr}`);
    const ips = (r.json?.ips ?? []) as { address: string }[];
    const ip = ips[0]?.address.split("/")[0];
    if (ip === undefined) throw new Error(`ADD of ${name} returned no address: ${r.stdout}`);
    const pod = { name, node, netns, ip, containerId };
    this.pods.push(pod);
    return pod;
  }

  async removePod(pod: Pod): Promise<void> {
    await callPluginAsync({
      command: "DEL",
      config: { cniVersion: "1.0.0", name: "petrel", type: "petrel", mtu: 1500, stateDir: pod.node.stateDir },
      containerId: pod.containerId,
      netns: netnsPath(pod.netns),
      ifname: "eth0",
    }, undefined, pod.node.netns);
    this.ns.remove(pod.netns);
    this.pods.splice(this.pods.indexOf(pod), 1);
  }

  /** One ping from `from` to `to`; true when it was answered. */
  ping(from: Pod, toIp: string, timeoutS = 2): boolean {
    return run(["ip", "netns", "exec", from.netns, "ping", "-c", "1", "-W", String(timeoutS), "-q", toIp]).status === 0;
  }

  /** The node's routes with Petrel's agent protocol: prefix → gateway ("blackhole" for its own). */
  routes(node: ClusterNode): Map<string, string> {
    const out = new Map<string, string>();
    const r = JSON.parse(must(["ip", "-n", node.netns, "-j", "route", "show", "proto", "88"]) || "[]") as { dst: string; gateway?: string; type?: string }[];
    for (const x of r) out.set(x.dst, x.type === "blackhole" ? "blackhole" : x.gateway ?? "?");
    return out;
  }

  async killGobgpd(node: ClusterNode): Promise<void> {
    await killGobgpd(node.gobgpd);
  }

  async restartGobgpd(node: ClusterNode): Promise<void> {
    node.gobgpd = await startGobgpd(node.name, node.netns, this.dir);
  }

  async killAgent(node: ClusterNode, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (node.agent.exitInfo() === undefined) node.agent.child.kill(signal);
    await node.agent.exited;
  }

  restartAgent(node: ClusterNode): void {
    node.agent = this.#startAgent(node.name, node.netns, node.stateDir, node.gobgpd, node.healthPort);
  }

  /**
   * The controller exits by design when it loses its Lease (an API server away for long, a
   * saturated machine); in a cluster its Deployment starts it again. This does the same.
   */
  async ensureController(): Promise<void> {
    if (this.controller === undefined || this.controller.running) return;
    this.controller = await ControllerProcess.start(this.rig, "demo-restarted", fastControllerFlags.filter((f) => !f.startsWith("--leader-elect-")));
    await this.controller.waitReady();
  }

  /** Takes a node away: its agent and gobgpd stop, its Node object is deleted, its netns removed. */
  async removeNode(node: ClusterNode): Promise<void> {
    await this.killAgent(node, "SIGTERM");
    await killGobgpd(node.gobgpd);
    await this.rig.removeNode(node.name);
    for (const p of this.pods.filter((x) => x.node === node)) {
      this.ns.remove(p.netns);
      this.pods.splice(this.pods.indexOf(p), 1);
    }
    this.ns.remove(node.netns);
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  async stop(): Promise<void> {
    const procs: Started[] = [];
    for (const n of this.nodes) procs.push(n.agent, n.gobgpd.proc);
    if (this.tor !== undefined) procs.push(this.tor.proc);
    await killAll(procs);
    await this.controller?.stop();
    this.ns.removeAll();
    if (process.env.PETREL_RIG_KEEP !== "1") rmSync(this.dir, { recursive: true, force: true });
    await this.rig.stop();
  }
}
