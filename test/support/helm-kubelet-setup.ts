// The set-up of the chart-on-a-real-kubelet tests (test/e2e/helm-kubelet.test.ts,
// helm-uninstall.test.ts): the chart's images built and imported, a
// RoutedCluster whose API and controller come from the chart, one kubelet node (containerd 1.6)
// on its underlay, and the helpers those tests use on it: values for `helm install`, pods pinned
// to the kubelet node, the node DaemonSet's pod and containers, the node pod's container logs
// (followed while the pod exists: the kubelet deletes them with the pod), and what Petrel holds
// in the node's kernel. stop() removes everything, by the names and pids it made, also after a
// start that failed half way.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { agentRouteProtocol } from "../../common/route-protocols.ts";
import { petrelCache } from "../rig/binaries.ts";
import { runProcess } from "../rig/rig.ts";
import { waitFor } from "./kubelet-cluster.ts";
import { KubeletNode } from "../rig/kubelet-node.ts";
import { NetnsSet } from "../rig/netns.ts";
import { NodeNetns } from "../rig/node-netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { RoutedCluster, torAddress } from "./routed-cluster.ts";
import { must, run } from "../rig/run-process.ts";
import { busyboxImage } from "../rig/test-images.ts";

export const chartNamespace = "petrel-system";
export const kubeletNodeName = "kubelet-1";
export const kubeletNodeIP = "192.0.2.100";
export const chartPool = "198.18.0.0/20";

export interface PodInfo { name: string; ip: string; containerId: string }
export interface NodePodContainer { name: string; id: string; restarts: number; ready: boolean }

/** What Petrel's agent holds in a node's kernel: its routes (protocol 88) and its nft table. */
export interface AgentNodeState {
  /** `prefix via gateway`, IPv4 and IPv6. */
  readonly via: string[];
  /** Blackhole prefixes of protocol 88. */
  readonly blackholes: string[];
  /** Blackhole routes of any protocol inside the pool (none may be left by an uninstall). */
  readonly poolBlackholes: string[];
  readonly natTable: boolean;
}

// The kubelet rigs' one poll-until-defined helper (500 ms), not a copy.
export { waitFor };

export function agentNodeState(netns: string): AgentNodeState {
  const via: string[] = [];
  const blackholes: string[] = [];
  for (const family of ["-4", "-6"]) {
    const routes = JSON.parse(must(["ip", "-n", netns, "-j", family, "route", "show", "table", "main", "proto", String(agentRouteProtocol)]) || "[]") as { dst: string; gateway?: string; type?: string }[];
    for (const r of routes) (r.type === "blackhole" ? blackholes : via).push(r.type === "blackhole" ? r.dst : `${r.dst} via ${r.gateway ?? "?"}`);
  }
  const pool = parseCidr(chartPool);
  const poolBlackholes = (JSON.parse(must(["ip", "-n", netns, "-j", "-4", "route", "show", "table", "main", "type", "blackhole"]) || "[]") as { dst: string }[])
    .map((r) => r.dst).filter((d) => containsAddress(pool, parseAddress(d.split("/")[0] ?? "")));
  const natTable = run(["ip", "netns", "exec", netns, "nft", "list", "table", "ip", "petrel_nat"]).status === 0;
  return { via: via.sort(), blackholes: blackholes.sort(), poolBlackholes: poolBlackholes.sort(), natTable };
}

/** One line of a container's log as the kubelet writes it (CRI format), the program's JSON parsed. */
export interface LogLine { readonly file: string; readonly json: Record<string, unknown> | undefined; readonly text: string }

export class HelmKubeletSetup {
  readonly label: string;
  readonly say: (line: string) => void;
  readonly ns: NetnsSet;
  net: NodeNetns | undefined;
  #cluster: RoutedCluster | undefined;
  #kubelet: KubeletNode | undefined;
  work = "";
  cniBinDir = "";
  cniConfDir = "";
  stateDir = "";
  #execCount = 0;
  /** Node pod container logs seen so far, by file (the last content read). */
  readonly #logs = new Map<string, string>();
  #following: Promise<void> | undefined;
  #follow = false;

  constructor(label: string, say: (line: string) => void) {
    this.label = label;
    this.say = say;
    this.ns = new NetnsSet(`${label}n`);
  }

  get cluster(): RoutedCluster {
    if (this.#cluster === undefined) throw new Error("the cluster did not start (see the beforeAll error)");
    return this.#cluster;
  }

  get kubelet(): KubeletNode {
    if (this.#kubelet === undefined) throw new Error("the kubelet node did not start (see the beforeAll error)");
    return this.#kubelet;
  }

  kubectl(args: readonly string[], input?: string): Promise<string> {
    return this.cluster.rig.kubectlOk(args, input);
  }

  async start(): Promise<void> {
    const imageDir = join(petrelCache(), "images");
    const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    this.say("building the images (helm/images/build.sh reuses images whose inputs did not change)");
    const build = await runProcess(join(repoRoot, "helm", "images", "build.sh"), ["--oci-dir", imageDir]);
    if (build.status !== 0) throw new Error(`helm/images/build.sh failed:\n${build.stderr.slice(-3000)}`);
    const archives = ["controller", "node"].map((n) => join(imageDir, `petrel-${n}-${version}.oci.tar`));
    this.net = NodeNetns.create(this.ns);
    this.#cluster = await RoutedCluster.start({ nodes: 0, label: this.label, withTor: false, chartManaged: true, rig: { listenAddress: this.net.apiAddress }, log: this.say });
    await this.cluster.rig.startControlPlaneControllers();
    this.cluster.plugUnderlay(this.net.name, "kn", kubeletNodeIP);
    must(["ip", "-n", this.net.name, "route", "add", "default", "via", torAddress]);
    this.work = mkdtempSync(`/tmp/petrel-${this.label}-`);
    this.cniBinDir = join(this.work, "opt-cni-bin");
    this.cniConfDir = join(this.work, "etc-cni-net.d");
    this.stateDir = join(this.work, "var-lib-petrel");
    for (const d of [this.cniBinDir, this.cniConfDir]) mkdirSync(d);
    this.#kubelet = await KubeletNode.start({
      rig: this.cluster.rig, name: kubeletNodeName, netns: this.net.name, nodeIP: kubeletNodeIP, cniBinDir: this.cniBinDir, cniConfDir: this.cniConfDir,
      images: [...archives, busyboxImage().archive], log: this.say,
    });
  }

  /** Every step runs even when one before it fails, so that nothing is left running. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (f: () => Promise<void> | void) => {
      try {
        await f();
      } catch (err) {
        errors.push(err);
      }
    };
    await step(() => this.stopFollowingLogs());
    await step(() => this.#kubelet?.stop());
    await step(() => this.#cluster?.stop());
    await step(() => this.net?.remove());
    await step(() => {
      this.ns.removeAll();
    });
    if (this.work !== "") rmSync(this.work, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`cleanup: ${errors.map(String).join("; ")}`);
  }

  /** The chart's values for this node (written to a file for `helm -f`), `extra` merged at the top level. */
  values(extra: Record<string, unknown> = {}): string {
    const port = new URL(this.cluster.rig.server).port;
    const file = join(this.work, "values.yaml");
    writeFileSync(file, JSON.stringify({
      image: { registry: "localhost", pullPolicy: "Never" },
      // No kube-proxy on the rig: the host-network pods reach the apiserver directly.
      kubernetesServiceEndpoint: { host: this.net?.apiAddress, port },
      // One kubelet node: a second host-network replica would find the health port taken.
      controller: { replicas: 1, nodeGracePeriod: "20s" },
      node: { stateDir: this.stateDir, logLevel: "debug" },
      cni: { binDir: this.cniBinDir, confDir: this.cniConfDir },
      // natOutgoing: the agent owns an nft table on the node (and pods reach the apiserver).
      defaultPool: { cidr: chartPool, natOutgoing: true },
      bgp: { timers: { holdTimeSeconds: 9, keepaliveIntervalSeconds: 3, connectRetrySeconds: 5 } },
      ...extra,
    }));
    return file;
  }

  async startPod(name: string, spec: Record<string, unknown> = {}): Promise<PodInfo> {
    await this.kubectl(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: { app: `petrel-${this.label}` } },
      spec: {
        nodeSelector: { "kubernetes.io/hostname": kubeletNodeName }, terminationGracePeriodSeconds: 1,
        containers: [{ name: "main", image: busyboxImage().ref, imagePullPolicy: "Never", command: ["sleep", "3600"] }],
        ...spec,
      },
    }));
    await this.kubectl(["wait", "--for=condition=Ready", `pod/${name}`, "-n", "default", "--timeout=120s"]);
    const p = JSON.parse(await this.kubectl(["get", "pod", name, "-n", "default", "-o", "json"])) as { status: { podIP?: string; containerStatuses?: { containerID?: string }[] } };
    return { name, ip: p.status.podIP ?? "", containerId: (p.status.containerStatuses?.[0]?.containerID ?? "").replace(/^containerd:\/\//, "") };
  }

  /** Deletes a pod and waits until the kubelet has removed its sandbox (CNI DEL ran). */
  async deletePod(name: string): Promise<void> {
    await this.kubectl(["delete", "pod", name, "-n", "default", "--wait=true", "--ignore-not-found"]);
    await waitFor(`the kubelet to remove ${name}'s sandbox`, 150_000, async () =>
      (await this.kubelet.containerd.cri.listPodSandboxes()).some((sb) => sb.metadata?.name === name) ? undefined : true);
  }

  /** A number for a `ctr tasks exec --exec-id`, unique in this process. */
  nextExecId(): number {
    return ++this.#execCount;
  }

  /** The pods in namespace default labelled app=`app` (not being deleted), with their first container. */
  async podsLabelled(app: string): Promise<PodInfo[]> {
    const list = JSON.parse(await this.kubectl(["get", "pods", "-n", "default", "-l", `app=${app}`, "-o", "json"])) as {
      items: { metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string; containerStatuses?: { containerID?: string; ready: boolean }[] } }[];
    };
    return list.items.filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => ({
      name: p.metadata.name,
      ip: p.status.podIP ?? "",
      containerId: (p.status.containerStatuses?.[0]?.containerID ?? "").replace(/^containerd:\/\//, ""),
    }));
  }

  /** Up to three single pings from inside the pod's container; true when one is answered. */
  async pingFromPod(pod: PodInfo, ip: string): Promise<boolean> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await this.kubelet.ctr(["tasks", "exec", "--exec-id", `ping-${process.pid}-${this.nextExecId()}`, pod.containerId, "ping", "-c", "1", "-W", "2", ip]);
      if (r.status === 0) return true;
      this.say(`ping ${pod.name} -> ${ip}, attempt ${attempt}: ${r.status} ${r.stdout.trim()} ${r.stderr.trim()}`);
    }
    return false;
  }

  /** Runs argv in a container of the kubelet node (`ctr tasks exec`). */
  execIn(containerId: string, argv: readonly string[]): ReturnType<KubeletNode["ctr"]> {
    return this.kubelet.ctr(["tasks", "exec", "--exec-id", `probe-${process.pid}-${++this.#execCount}`, containerId, ...argv]);
  }

  /** The node DaemonSet's pod on the kubelet node (not being deleted): its containers' ids, restarts, readiness. */
  async nodePod(): Promise<{ pod: string; uid: string; containers: NodePodContainer[] }> {
    const list = JSON.parse(await this.kubectl(["get", "pods", "-n", chartNamespace, "-l", "app.kubernetes.io/component=node", "-o", "json"])) as {
      items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { containerStatuses?: { name: string; containerID?: string; restartCount: number; ready: boolean }[] } }[];
    };
    const pod = list.items.find((p) => p.metadata.deletionTimestamp === undefined);
    if (pod === undefined) throw new Error("no node pod");
    return {
      pod: pod.metadata.name,
      uid: pod.metadata.uid,
      containers: (pod.status.containerStatuses ?? []).map((c) => ({ name: c.name, id: (c.containerID ?? "").replace(/^containerd:\/\//, ""), restarts: c.restartCount, ready: c.ready })),
    };
  }

  #readLogs(): void {
    const root = join(this.kubelet.dir, "pod-logs");
    if (!existsSync(root)) return;
    for (const pod of readdirSync(root).filter((d) => d.startsWith(`${chartNamespace}_petrel-node-`))) {
      for (const container of ["agent", "install-cni"]) {
        const dir = join(root, pod, container);
        let files: string[];
        try {
          files = readdirSync(dir).filter((f) => f.endsWith(".log"));
        } catch {
          continue; // not there yet, or already removed with the pod
        }
        for (const f of files) {
          try {
            const text = readFileSync(join(dir, f), "utf8");
            const key = `${pod}/${container}/${f}`;
            if (text.length >= (this.#logs.get(key)?.length ?? 0)) this.#logs.set(key, text);
          } catch {
            // removed meanwhile: the last content read stays
          }
        }
      }
    }
  }

  /** Keeps reading the node pods' agent and install-cni logs every 100 ms (they vanish with their pod). */
  followLogs(): void {
    if (this.#follow) return;
    this.#follow = true;
    this.#following = (async () => {
      while (this.#follow) {
        this.#readLogs();
        await sleep(100);
      }
    })();
  }

  async stopFollowingLogs(): Promise<void> {
    this.#follow = false;
    await this.#following;
  }

  /** The lines of one container of the node pods (every pod and restart seen), in file order. */
  logLines(container: "agent" | "install-cni"): LogLine[] {
    this.#readLogs();
    const out: LogLine[] = [];
    for (const [file, text] of [...this.#logs].filter(([k]) => k.split("/")[1] === container).sort(([a], [b]) => a.localeCompare(b))) {
      for (const line of text.split("\n").filter((l) => l !== "")) {
        // <time> <stream> <P|F> <message>
        const message = line.split(" ").slice(3).join(" ");
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(message) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        out.push({ file, json, text: message });
      }
    }
    return out;
  }
}
