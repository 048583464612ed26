// `npm run demo -- --netns-nodes`: the first demo, kept because it starts in seconds and shows
// the routing alone. No kubelet, no helm: etcd + kube-apiserver, petrel-controller as a host
// process, N "nodes" that are bare network namespaces running gobgpd and petrel-agent on an
// underlay 192.0.2.0/24 (inside namespaces only), BIRD as the top-of-rack router, and 2 "pods"
// per node that are network namespaces wired by calling the CNI plugin directly
// (test/support/routed-cluster.ts). No Pod objects exist, so `petrelctl ipam check` would report
// every address as allocated without a pod: this mode does not run it (ipamOk is reported as
// not applicable, true).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { birdRoutes, birdSessions } from "../support/bird.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { RoutedCluster, type Pod } from "../support/routed-cluster.ts";
import { run } from "../rig/run-process.ts";
import type { DemoOptions } from "./demo-options.ts";
import type { DemoOutcome, DemoRun } from "./demo-run.ts";
import { formatPingMatrix } from "./ping-matrix.ts";

export class NetnsDemo implements DemoRun {
  readonly #o: DemoOptions;
  readonly #say: (line: string) => void;
  #cluster: RoutedCluster | undefined;

  constructor(o: DemoOptions, say: (line: string) => void) {
    this.#o = o;
    this.#say = say;
  }

  get banner(): string {
    return `bringing up the netns-only Petrel demo: ${this.#o.nodes} namespace nodes, a BIRD top-of-rack router, ${2 * this.#o.nodes} namespace pods`;
  }

  async start(): Promise<void> {
    this.#cluster = await RoutedCluster.start({ nodes: this.#o.nodes, label: "demo", withTor: true, log: this.#say });
  }

  async show(section: (title: string, body: string) => void): Promise<DemoOutcome> {
    const cluster = this.#cluster;
    if (cluster === undefined) throw new Error("the demo cluster is not up");
    await cluster.waitReady();
    const pods: Pod[] = [];
    for (const n of cluster.nodes) for (let i = 0; i < 2; i++) pods.push(await cluster.addPod(n));
    // Wait for the mesh: every node routes every other node's block, and the ToR has them all.
    for (let i = 0; i < 300; i++) {
      const ready = cluster.nodes.every((n) => [...cluster.routes(n).values()].filter((g) => g !== "blackhole").length >= cluster.nodes.length - 1);
      const tor = cluster.tor;
      const torReady = tor !== undefined && [...birdSessions(tor).values()].every((s) => s === "Established") && birdRoutes(tor).size >= cluster.nodes.length;
      if (ready && torReady) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    section("kubectl get ippools", await cluster.rig.kubectlOk(["get", "ippools"]));
    section("kubectl get ipamblocks", await cluster.rig.kubectlOk(["get", "ipamblocks"]));
    section("kubectl get petrelnodes", await cluster.rig.kubectlOk(["get", "petrelnodes"]));
    const petrelctl = join(repoRoot, "dist", "bin", "petrelctl");
    if (existsSync(petrelctl)) {
      const r = run([petrelctl, `--kubeconfig=${cluster.rig.kubeconfigPath}`, "node", "status"]);
      section("petrelctl node status", r.stdout + r.stderr);
    }
    for (const n of cluster.nodes) section(`routes on ${n.name} (${n.address})`, run(["ip", "-n", n.netns, "route"]).stdout);
    if (cluster.tor !== undefined) section("top-of-rack router (BIRD): birdc show route", run(["birdc", "-s", cluster.tor.socket, "show", "route"]).stdout);
    const results = new Map(pods.map((a) => [a.name, new Map(pods.filter((b) => b !== a).map((b) => [b.ip, cluster.ping(a, b.ip, 2)] as const))] as const));
    const matrix = formatPingMatrix(pods.map((p) => ({ name: p.name, node: p.node.name, ip: p.ip })), results);
    section("ping matrix (namespace pods across nodes, plain routing, no encapsulation)", matrix.text);
    console.log("\n(netns-only mode: these pods have no Pod objects, so `petrelctl ipam check` does not apply)");
    return { pairs: matrix.pairs, pingFailures: matrix.failures, ipamOk: true, problems: [] };
  }

  usage(): string[] {
    const c = this.#cluster;
    if (c === undefined) return [];
    return [
      `kubeconfig: ${c.rig.kubeconfigPath}`,
      `  kubectl: ${join(c.rig.binDir, "kubectl")} --kubeconfig ${c.rig.kubeconfigPath} get ipamblocks`,
    ];
  }

  async stop(): Promise<void> {
    await this.#cluster?.stop();
  }
}
