// The demo on real Kubernetes nodes (the default of `npm run demo`): the multi-node kubelet rig
// (test/support/kubelet-cluster.ts: etcd, kube-apiserver, controller-manager, scheduler on the host;
// N nodes, each a network namespace with containerd + kubelet + kube-proxy), Petrel installed with
// `helm install` from helm/petrel and the images helm/images/build.sh builds here, a Deployment
// spread over the nodes, then what an operator would look at: the Petrel objects, the pods and
// their Petrel addresses, `petrelctl node status`, each node's routes, a ping matrix between the
// real pods (kubectl exec) and `petrelctl ipam check` (cluster-wide, and on each node against the
// plugin's records and pod routes).
import { join } from "node:path";
import { nodeBinaries } from "../rig/binaries.ts";
import { busyboxImage } from "../rig/test-images.ts";
import { upstreamPauseImage } from "../rig/e2e-images.ts";
import { KubeletCluster, podPool, waitFor, type PodState } from "../support/kubelet-cluster.ts";
import { containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { run } from "../rig/run-process.ts";
import type { DemoOptions } from "./demo-options.ts";
import { KubeletTor } from "./kubelet-tor.ts";
import { formatPingMatrix, parsePingOutput, pingScript } from "./ping-matrix.ts";
import type { DemoRun, DemoOutcome } from "./demo-run.ts";

export const demoNamespace = "demo";
const app = "petrel-demo";
const petrelctl = join(repoRoot, "dist", "bin", "petrelctl");

/** The Deployment: 2 pods per node, spread by a topology spread constraint; busybox httpd answers on 8080. */
export function demoDeployment(replicas: number, image: string): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app, namespace: demoNamespace },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          terminationGracePeriodSeconds: 1,
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app } } }],
          containers: [{
            name: "web",
            image,
            imagePullPolicy: "Never",
            command: ["sh", "-c", "mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"],
            ports: [{ containerPort: 8080 }],
          }],
        },
      },
    },
  };
}

export class KubeletDemo implements DemoRun {
  readonly #o: DemoOptions;
  readonly #say: (line: string) => void;
  #cluster: KubeletCluster | undefined;
  #tor: KubeletTor | undefined;

  constructor(o: DemoOptions, say: (line: string) => void) {
    this.#o = o;
    this.#say = say;
  }

  get banner(): string {
    return `bringing up the Petrel demo: ${this.#o.nodes} Kubernetes nodes (kubelet, containerd, kube-proxy), helm install petrel, a Deployment of ${2 * this.#o.nodes} pods${this.#o.tor ? ", a BIRD top-of-rack router" : ""}`;
  }

  async start(): Promise<void> {
    const images = () => [upstreamPauseImage(), busyboxImage()];
    this.#cluster = await KubeletCluster.start({ label: "demo", nodes: this.#o.nodes, log: this.#say, images, binaries: nodeBinaries });
  }

  #c(): KubeletCluster {
    if (this.#cluster === undefined) throw new Error("the demo cluster is not up");
    return this.#cluster;
  }

  async show(section: (title: string, body: string) => void): Promise<DemoOutcome> {
    const c = this.#c();
    let t = Date.now();
    const took = (what: string) => {
      this.#say(`${what} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    if (this.#o.tor) this.#tor = await KubeletTor.start(c);
    await c.installPetrel();
    if (this.#tor !== undefined) await this.#tor.peer();
    took("helm install");
    await c.kubectlOk(["create", "namespace", demoNamespace]);
    await waitFor("the demo namespace's default ServiceAccount", 60_000, async () => ((await c.kubectl(["get", "sa", "default", "-n", demoNamespace])).status === 0 ? true : undefined));
    await c.kubectlOk(["apply", "-f", "-"], JSON.stringify(demoDeployment(2 * c.nodes.length, busyboxImage().ref)));
    await c.kubectlOk(["-n", demoNamespace, "rollout", "status", `deployment/${app}`, "--timeout=180s"]);
    const pods = (await c.pods(demoNamespace, `app=${app}`)).filter((p) => !p.deleting).sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
    took(`Deployment ${app}: ${pods.length} pods Ready`);
    const problems = this.#checkPods(pods);
    await this.#waitRoutes(c);
    if (this.#tor !== undefined) await this.#tor.waitRoutes(c.nodes.length);
    took("every node routes every other node's blocks");

    section("kubectl get nodes -o wide", await c.kubectlOk(["get", "nodes", "-o", "wide"]));
    section("kubectl get ippools", await c.kubectlOk(["get", "ippools"]));
    section("kubectl get ipamblocks", await c.kubectlOk(["get", "ipamblocks"]));
    section("kubectl get petrelnodes", await c.kubectlOk(["get", "petrelnodes"]));
    section("kubectl get pods -n petrel-system -o wide", await c.kubectlOk(["get", "pods", "-n", "petrel-system", "-o", "wide"]));
    section(`kubectl get pods -n ${demoNamespace} -o wide (addresses from Petrel's pool ${podPool})`, await c.kubectlOk(["get", "pods", "-n", demoNamespace, "-o", "wide"]));
    const status = this.#petrelctl(["node", "status"]);
    section("petrelctl node status", status.stdout + status.stderr);
    for (const n of c.nodes) {
      section(`routes on ${n.name} (${n.ip}): ip route (proto 88: Petrel's block routes, blackhole = own block; proto 89: its pods)`, run(["ip", "-n", n.netns, "route", "show"]).stdout);
    }
    if (this.#tor !== undefined) section("top-of-rack router (BIRD): birdc show route", this.#tor.showRoute());

    const matrix = formatPingMatrix(pods, await this.#pings(c, pods));
    section(`ping matrix (${pods.length} pods on ${c.nodes.length} nodes, kubectl exec ... ping; plain routing, no encapsulation)`, matrix.text);
    took("ping matrix");

    const ipam = await this.#ipamCheck(c);
    section(`petrelctl ipam check (exit ${ipam.status}${ipam.attempts > 1 ? `, after ${ipam.attempts} tries` : ""})`, ipam.output);
    for (const n of ipam.nodes) section(`petrelctl ipam check --state-dir /var/lib/petrel --node ${n.node} --check-routes (on ${n.node}; exit ${n.status})`, n.output);
    took("ipam check");
    const ipamOk = ipam.status === 0 && ipam.nodes.every((n) => n.status === 0);
    return { pairs: matrix.pairs, pingFailures: matrix.failures, ipamOk, problems };
  }

  /** Every pod Ready with an address in the pool, and pods on every node. */
  #checkPods(pods: readonly PodState[]): string[] {
    const problems: string[] = [];
    const pool = parseCidr(podPool);
    for (const p of pods) {
      if (!p.ready) problems.push(`pod ${p.name} on ${p.node} is not Ready`);
      if (p.ip === "" || !containsAddress(pool, parseAddress(p.ip))) problems.push(`pod ${p.name} has address '${p.ip}', not one of Petrel's pool ${podPool}`);
    }
    for (const n of this.#c().nodes) if (!pods.some((p) => p.node === n.name)) problems.push(`no demo pod on ${n.name} (the spread constraint should put ${2} there)`);
    return problems;
  }

  /** Waits until each node has a Petrel route (protocol 88) for every IPAMBlock of the other nodes. */
  async #waitRoutes(c: KubeletCluster): Promise<void> {
    await waitFor("every node to route every other node's blocks", 120_000, async () => {
      const blocks = JSON.parse(await c.kubectlOk(["get", "ipamblocks", "-o", "json"])) as { items: { spec: { cidr: string; node: string } }[] };
      for (const n of c.nodes) {
        const have = new Set((JSON.parse(run(["ip", "-n", n.netns, "-j", "route", "show", "proto", "88"]).stdout || "[]") as { dst: string }[]).map((r) => r.dst));
        for (const b of blocks.items) if (!have.has(b.spec.cidr)) return undefined;
      }
      return true;
    });
  }

  async #pings(c: KubeletCluster, pods: readonly PodState[]): Promise<Map<string, Map<string, boolean>>> {
    const results = new Map<string, Map<string, boolean>>();
    await Promise.all(pods.map(async (a) => {
      const targets = pods.filter((b) => b !== a).map((b) => b.ip);
      const r = await c.kubectl(["exec", "-n", demoNamespace, a.name, "-c", "web", "--", "sh", "-c", pingScript(targets)]);
      if (r.status !== 0) this.#say(`kubectl exec ${a.name}: exit ${r.status}: ${r.stderr.trim()}`);
      results.set(a.name, parsePingOutput(r.stdout));
    }));
    return results;
  }

  #petrelctl(args: readonly string[]): { status: number; stdout: string; stderr: string } {
    const r = run([petrelctl, `--kubeconfig=${this.#c().rig.kubeconfigPath}`, ...args]);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * `petrelctl ipam check`, retried for up to 60 s while it finds something: agents report a
   * block's `status.allocated` every few seconds, so right after pods start a count can lag
   * (docs/petrelctl.md, "Races"); findings that stay are real. Then the node-local check on each
   * node, with the plugin's records and pod routes (run on the host against the node's paths).
   */
  async #ipamCheck(c: KubeletCluster): Promise<{ status: number; output: string; attempts: number; nodes: { node: string; status: number; output: string }[] }> {
    let attempts = 1;
    let r = this.#petrelctl(["ipam", "check"]);
    const deadline = Date.now() + 60_000;
    while (r.status !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      attempts++;
      r = this.#petrelctl(["ipam", "check"]);
    }
    const nodes = c.nodes.map((n) => {
      const x = this.#petrelctl(["ipam", "check", "--state-dir", n.kubelet.hostPath("/var/lib/petrel"), "--node", n.name, "--check-routes", "--netns", n.netns]);
      return { node: n.name, status: x.status, output: x.stdout + x.stderr };
    });
    return { status: r.status, output: r.stdout + r.stderr, attempts, nodes };
  }

  usage(): string[] {
    const c = this.#c();
    return [
      `kubeconfig: ${c.rig.kubeconfigPath}`,
      `  export KUBECONFIG=${c.rig.kubeconfigPath} PATH=${c.rig.binDir}:${join(repoRoot, "dist", "bin")}:$PATH`,
      `  kubectl get pods -n ${demoNamespace} -o wide; kubectl petrel ipam show; kubectl petrel node status`,
      `  kubectl exec -n ${demoNamespace} deploy/${app} -- ping -c 3 <pod IP>`,
      `  ip -n ${c.nodes[0]?.netns ?? "<node netns>"} route   # node-1's routes (each node is a network namespace)`,
    ];
  }

  async stop(): Promise<void> {
    await this.#tor?.stop();
    await this.#cluster?.stop();
  }
}
