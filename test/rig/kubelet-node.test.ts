// A real node on the rig: kube-controller-manager, kube-scheduler and a kubelet with containerd
// 1.6 in its own network namespace, pods wired by the reference CNI plugins (ptp + host-local)
// from a conflist the test writes. Shows that the rig can run what a Helm chart deploys: a
// Deployment's pods get addresses from the CNI and answer from the node's network, a hostNetwork
// DaemonSet pod runs in the node's namespace, and stop() leaves nothing behind.
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { referencePluginDir } from "./binaries.ts";
import { KubeRig } from "./rig.ts";
import { mountsUnder } from "./host-state.ts";
import { KubeletNode } from "./kubelet-node.ts";
import { NetnsSet, netnsPath, requireRoot, inNetns } from "./netns.ts";
import { NodeNetns } from "./node-netns.ts";
import { busyboxImage, type TestImage } from "./test-images.ts";

const podSubnet = "198.18.200.0/24";
const nodeName = "kn-node";

requireRoot();

const ns = new NetnsSet("kn");
const sysctls = ["vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "vm/panic_on_oom"];
const sysctlsBefore = sysctls.map((s) => readFileSync(`/proc/sys/${s}`, "utf8"));
const varLogContainersBefore = existsSync("/var/log/containers");
let net: NodeNetns | undefined;
let rigOrUndefined: KubeRig | undefined;
let nodeOrUndefined: KubeletNode | undefined;
let work = "";
let busybox: TestImage;

function rig(): KubeRig {
  if (rigOrUndefined === undefined) throw new Error("the rig did not start (see the beforeAll error)");
  return rigOrUndefined;
}
function node(): KubeletNode {
  if (nodeOrUndefined === undefined) throw new Error("the node did not start (see the beforeAll error)");
  return nodeOrUndefined;
}

const say = (line: string): void => {
  process.stderr.write(`[kubelet-node.test] ${line}\n`);
};

beforeAll(async () => {
  net = NodeNetns.create(ns);
  say(`node netns ${net.name} (${net.address}), apiserver on ${net.apiAddress}`);
  rigOrUndefined = await KubeRig.start({ listenAddress: net.apiAddress });
  await rig().startControlPlaneControllers();
  work = mkdtempSync("/tmp/petrel-kn-");
  const cniBinDir = join(work, "cni-bin");
  const cniConfDir = join(work, "cni-conf");
  mkdirSync(cniBinDir);
  mkdirSync(cniConfDir);
  for (const p of readdirSync(referencePluginDir)) symlinkSync(join(referencePluginDir, p), join(cniBinDir, p));
  busybox = busyboxImage();
  nodeOrUndefined = await KubeletNode.start({
    rig: rig(), name: nodeName, netns: net.name, nodeIP: net.address, cniBinDir, cniConfDir, images: [busybox.archive], log: say,
  });
}, 300_000);

afterAll(async () => {
  // Normally the last test has stopped everything already; this is for a failed run.
  await nodeOrUndefined?.stop().catch((err: unknown) => say(`node stop: ${String(err)}`));
  await rigOrUndefined?.stop();
  net?.remove();
  ns.removeAll();
  if (work !== "") rmSync(work, { recursive: true, force: true });
}, 120_000);

interface PodJson {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; containerStatuses?: { containerID?: string; ready: boolean }[] };
}

async function pods(selector: string): Promise<PodJson[]> {
  return (JSON.parse(await rig().kubectlOk(["get", "pods", "-n", "default", "-l", selector, "-o", "json"])) as { items: PodJson[] }).items;
}

function inSubnet(ip: string): boolean {
  const [a, b, c] = ip.split(".");
  return `${a}.${b}.${c}.0/24` === podSubnet;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await node().assertRunning();
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

const deployment = (image: string, name = "sleepers", replicas = 2): string => JSON.stringify({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "sleep", image, command: ["sleep", "3600"] }] },
    },
  },
});

const daemonSet = (image: string): string => JSON.stringify({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "host-sleeper", namespace: "default" },
  spec: {
    selector: { matchLabels: { app: "host-sleeper" } },
    template: {
      metadata: { labels: { app: "host-sleeper" } },
      spec: {
        hostNetwork: true,
        tolerations: [{ operator: "Exists" }],
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "sleep", image, command: ["sh", "-c", "echo hello from the host network; exec sleep 3600"] }],
      },
    },
  },
});

test("the node registers, NotReady until a CNI config exists, then Ready", async () => {
  const notReady = await until("the node to register", 120_000, () => node().readyCondition());
  expect(notReady.status).not.toBe("True");
  expect(notReady.message).toMatch(/network/i);
  // The reference plugins: ptp with host-local, the host-local state in the test's dir.
  writeFileSync(join(work, "cni-conf", "10-ptp.conflist"), JSON.stringify({
    cniVersion: "1.0.0",
    name: "kn-ptp",
    plugins: [{
      type: "ptp",
      ipMasq: false,
      ipam: { type: "host-local", ranges: [[{ subnet: podSubnet }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(work, "host-local") },
    }],
  }));
  await node().waitReady(120_000);
  const nodeObj = JSON.parse(await rig().kubectlOk(["get", "node", nodeName, "-o", "json"])) as { spec: { taints?: unknown[] }; status: { addresses: { type: string; address: string }[]; nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } } };
  say(`node: ${JSON.stringify(nodeObj.status.nodeInfo)}`);
  expect(nodeObj.status.addresses).toContainEqual({ type: "InternalIP", address: net?.address });
  expect(nodeObj.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
  // node-lifecycle-controller lifts the not-ready taint once the node is Ready.
  await until("the not-ready taint to go", 60_000, async () => {
    const n = JSON.parse(await rig().kubectlOk(["get", "node", nodeName, "-o", "json"])) as { spec: { taints?: { key: string }[] } };
    return (n.spec.taints ?? []).some((t) => t.key === "node.kubernetes.io/not-ready") ? undefined : true;
  });
}, 300_000);

test("a Deployment's pods get host-local addresses and answer from the node's network", async () => {
  await rig().kubectlOk(["apply", "-f", "-"], deployment(busybox.ref));
  await rig().kubectlOk(["rollout", "status", "deployment/sleepers", "-n", "default", "--timeout=180s"]);
  await rig().kubectlOk(["wait", "deployment/sleepers", "-n", "default", "--for=condition=Available", "--timeout=60s"]);
  const running = await pods("app=sleepers");
  expect(running).toHaveLength(2);
  for (const p of running) {
    expect(p.spec.nodeName).toBe(nodeName);
    const ip = p.status.podIP ?? "";
    say(`${p.metadata.name}: ${ip}`);
    expect(inSubnet(ip)).toBe(true);
    const ping = inNetns(net?.name ?? "", ["ping", "-c", "1", "-W", "2", ip]);
    expect({ ip, status: ping.status, out: ping.stdout }).toMatchObject({ status: 0 });
  }
  expect(new Set(running.map((p) => p.status.podIP)).size).toBe(2);
}, 300_000);

test("a hostNetwork DaemonSet pod runs in the node's network namespace", async () => {
  await rig().kubectlOk(["apply", "-f", "-"], daemonSet(busybox.ref));
  await rig().kubectlOk(["rollout", "status", "daemonset/host-sleeper", "-n", "default", "--timeout=180s"]);
  const [p] = await pods("app=host-sleeper");
  if (p === undefined) throw new Error("no DaemonSet pod");
  expect(p.status.podIP).toBe(net?.address);
  // The container's process is in the node's netns: the same namespace inode.
  const id = (p.status.containerStatuses?.[0]?.containerID ?? "").replace(/^containerd:\/\//, "");
  const tasks = (await node().ctr(["tasks", "list"])).stdout;
  const pid = new RegExp(`^${id}\\s+(\\d+)\\s+RUNNING`, "m").exec(tasks)?.[1];
  expect(pid).toBeDefined();
  expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(statSync(netnsPath(net?.name ?? "")).ino);
  // The apiserver reaches the kubelet's server (logs) at the node IP over the uplink.
  const logs = await rig().kubectlOk(["logs", "-n", "default", p.metadata.name]);
  expect(logs).toContain("hello from the host network");
}, 300_000);

test("deleting the Deployment removes its pods' containers and sandboxes", async () => {
  const uids = new Set((await pods("app=sleepers")).map((p) => p.metadata.uid));
  expect(uids.size).toBe(2);
  const ours = async (): Promise<{ sandboxes: number; ready: number; containers: number; running: number }> => {
    const sbs = (await node().containerd.cri.listPodSandboxes()).filter((s) => uids.has(s.metadata?.uid ?? ""));
    const ids = new Set(sbs.map((s) => s.id));
    const cs = (await node().containerd.cri.listContainers()).filter((c) => ids.has(c.podSandboxId));
    return {
      sandboxes: sbs.length,
      ready: sbs.filter((s) => s.state === "SANDBOX_READY").length,
      containers: cs.length,
      running: cs.filter((c) => c.state === "CONTAINER_RUNNING").length,
    };
  };
  expect(await ours()).toEqual({ sandboxes: 2, ready: 2, containers: 2, running: 2 });
  const podNetns: string[] = [];
  for (const sb of await node().containerd.cri.listPodSandboxes()) {
    if (!uids.has(sb.metadata?.uid ?? "")) continue;
    const path = await node().containerd.cri.sandboxNetns(sb.id);
    if (path !== undefined) podNetns.push(path);
  }
  expect(podNetns).toHaveLength(2);
  for (const path of podNetns) expect(existsSync(path)).toBe(true);
  await rig().kubectlOk(["delete", "deployment/sleepers", "-n", "default", "--wait=true", "--timeout=60s"]);
  await until("the pods to go", 120_000, async () => ((await pods("app=sleepers")).length === 0 ? true : undefined));
  // The kubelet stops the containers and sandboxes at once (CNI DEL, the pod netns removed) ...
  const t0 = Date.now();
  await until("the containers and sandboxes to stop", 30_000, async () => {
    const o = await ours();
    return o.running === 0 && o.ready === 0 ? true : undefined;
  });
  say(`containers and sandboxes of the deleted pods stopped ${Date.now() - t0} ms after the pods were gone`);
  expect(podNetns.filter((path) => existsSync(path))).toEqual([]);
  // ... and removes them at its next container garbage collection (every minute).
  await until("the containers and sandboxes to be removed", 120_000, async () => {
    const o = await ours();
    return o.sandboxes === 0 && o.containers === 0 ? true : undefined;
  });
  say(`containers and sandboxes of the deleted pods removed ${Date.now() - t0} ms after the pods were gone`);
}, 300_000);

test("stop() takes running pods down through the CRI and leaves no process, mount, cgroup or namespace behind", async () => {
  // A pod still running at stop(): its sandbox must be torn down with a CNI DEL.
  await rig().kubectlOk(["apply", "-f", "-"], deployment(busybox.ref, "stayer", 1));
  await rig().kubectlOk(["rollout", "status", "deployment/stayer", "-n", "default", "--timeout=180s"]);
  const stayerIP = (await pods("app=stayer"))[0]?.status.podIP ?? "";
  expect(inSubnet(stayerIP)).toBe(true);
  // host-local's record of the address: removed by the DEL.
  const lease = join(work, "host-local", "kn-ptp", stayerIP);
  expect(existsSync(lease)).toBe(true);
  const n = node();
  const pids = [n.kubeletPid ?? -1, n.containerd.proc.pid, ...n.containerd.shimPids(), ...n.cgroupRoot.pids()];
  // The pods' network namespaces (/run/netns/cni-…), made by this node's containerd.
  const sandboxNetns: string[] = [];
  for (const sb of await n.containerd.cri.listPodSandboxes()) {
    const path = await n.containerd.cri.sandboxNetns(sb.id);
    if (path !== undefined && path !== "") sandboxNetns.push(path);
  }
  expect(sandboxNetns).toHaveLength(1);
  say(`stopping: kubelet ${n.kubeletPid}, containerd ${n.containerd.proc.pid}, ${pids.length - 2} shim and pod processes`);
  await n.stop();
  await rig().stop();
  net?.remove();
  ns.removeAll();
  // A killed process may stay a zombie for a moment: this machine's init reaps lazily.
  const alive = (): number[] => pids.filter((pid) => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  });
  for (let i = 0; i < 50 && alive().length > 0; i++) await sleep(100);
  expect(alive()).toEqual([]);
  expect(mountsUnder(n.dir)).toEqual([]);
  if (process.env.PETREL_RIG_KEEP !== "1") expect(existsSync(n.dir)).toBe(false);
  expect(n.cgroupRoot.pids()).toEqual([]);
  expect(existsSync(join("/sys/fs/cgroup/memory", n.cgroupRoot.path))).toBe(false);
  expect(sandboxNetns.filter((p) => existsSync(p))).toEqual([]);
  expect(existsSync(lease)).toBe(false);
  expect(readdirSync("/run/netns").filter((x) => x.startsWith(`ptl-kn-${process.pid}-`))).toEqual([]);
  expect(existsSync(`/sys/class/net/${net?.hostLink}`)).toBe(false);
  expect(existsSync("/var/log/containers")).toBe(varLogContainersBefore);
  expect(sysctls.map((s) => readFileSync(`/proc/sys/${s}`, "utf8"))).toEqual(sysctlsBefore);
}, 180_000);
