// `helm install petrel` on a real node: the rig's kubelet (containerd 1.6) in a network namespace
// on the routed cluster's underlay, beside two netns nodes of the routed demo (gobgpd + agent as
// processes). The chart's images are built by helm/images/build.sh and imported into the node's
// containerd; the chart's DaemonSet installs the CNI plugin on the node, its controller hands out
// blocks to all three nodes, and a test Deployment's pods get Petrel addresses from the kubelet's
// runtime, reach each other and the demo's pods through BGP-learned routes, and give their
// addresses back when deleted. `helm test` checks pod-to-pod over the pod network; petrelctl in
// the agent's pod reads what it needs (no 403), and from outside says when a node cannot be asked.
// `helm uninstall` then removes everything (crds.keep=false, set by the upgrade), the node's CNI files too.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { apiRequest } from "../rig/api-request.ts";
import { chartDir, helmOk } from "../support/helm.ts";
import type { KubeletNode } from "../rig/kubelet-node.ts";
import { requireRoot } from "../rig/netns.ts";
import { assertNoIpRun } from "../rig/no-ip-path.ts";
import { repoRoot } from "../rig/repo-root.ts";
import type { ClusterNode, Pod, RoutedCluster } from "../support/routed-cluster.ts";
import { must } from "../rig/run-process.ts";
import { busyboxImage } from "../rig/test-images.ts";
import { formatLoss, pingDuring } from "../support/route-checks.ts";
import { chartNamespace, HelmKubeletSetup, kubeletNodeIP, kubeletNodeName, waitFor, type PodInfo } from "../support/helm-kubelet-setup.ts";

requireRoot();

const NS = chartNamespace;
const version = (JSON.parse(must(["cat", join(repoRoot, "package.json")])) as { version: string }).version;

const say = (line: string): void => {
  process.stderr.write(`[helm-kubelet.test] ${line}\n`);
};

const setup = new HelmKubeletSetup("hk", say);
const netnsNodes: ClusterNode[] = [];
const netnsPods: Pod[] = [];
const cluster = (): RoutedCluster => setup.cluster;
const kubelet = (): KubeletNode => setup.kubelet;
const kubectl = (args: readonly string[], input?: string) => setup.kubectl(args, input);
const values = (): string => setup.values();

beforeAll(async () => {
  await setup.start();
  // Forwarding off, like a freshly booted node: the chart's agent cannot write /proc/sys and
  // reports it; the plugin's first ADD turns it on. Set, not assumed: a new netns copies the root
  // namespace's IPv4 settings (net.core.devconf_inherit_init_net=0), which may have it on.
  must(["ip", "netns", "exec", kubelet().netns, "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
}, 900_000);

afterAll(() => setup.stop(), 180_000);

test("helm install: the DaemonSet installs the CNI plugin and the node turns Ready; the controller serves blocks", async () => {
  expect(readdirSync(setup.cniConfDir)).toEqual([]);
  expect((await kubelet().readyCondition())?.status).not.toBe("True");
  const t0 = Date.now();
  await helmOk(["install", "petrel", chartDir, "--namespace", NS, "--create-namespace", "-f", values()], cluster().rig.kubeconfigPath);
  await kubectl(["-n", NS, "rollout", "status", "daemonset/petrel-node", "--timeout=240s"]);
  const dsReady = Date.now() - t0;
  await kubectl(["-n", NS, "rollout", "status", "deployment/petrel-controller", "--timeout=120s"]);
  await kubelet().waitReady(60_000);
  say(`helm install -> DaemonSet ready ${dsReady} ms, controller ready and node Ready ${Date.now() - t0} ms`);
  // loopback: containerd runs it for every pod; the installer adds it (and portmap) where the host has none.
  expect(readdirSync(setup.cniBinDir).sort()).toEqual(["loopback", "petrel", "portmap"]);
  expect(readdirSync(setup.cniConfDir)).toEqual(["00-petrel.conflist"]);
  const block = await waitFor("a block for the kubelet node", 60_000, async () =>
    (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${kubeletNodeName}`, "-o", "jsonpath={.items[*].spec.cidr}"])).trim() || undefined);
  say(`kubelet node block: ${block}`);
  expect(existsSync(join(setup.stateDir, "blocks.json"))).toBe(true);
  // The agent's status write passed the own-node admission policy.
  await waitFor("PetrelNode kubelet-1 Ready", 60_000, async () =>
    (await kubectl(["get", "petrelnode", kubeletNodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"])) === "True" ? true : undefined);
  // No pod has been wired yet, so forwarding is still off in the node; the agent, whose /proc/sys
  // is read-only in its container, says so instead of failing.
  expect(nodeForwarding()).toBe("0");
  const fwd = await waitFor("PetrelNode kubelet-1 IPForwarding condition", 60_000, async () => forwardingCondition());
  expect(fwd).toMatchObject({ status: "False", reason: "ForwardingDisabled" });
  expect(fwd.message).toContain("sysctl -w net.ipv4.ip_forward=1");
}, 420_000);

const nodeForwarding = () => must(["ip", "netns", "exec", kubelet().netns, "cat", "/proc/sys/net/ipv4/ip_forward"]).trim();

async function forwardingCondition(): Promise<{ status: string; reason: string; message: string } | undefined> {
  const text = await kubectl(["get", "petrelnode", kubeletNodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"IPForwarding\")]}"]);
  return text.trim() === "" ? undefined : (JSON.parse(text) as { status: string; reason: string; message: string });
}

test("the demo's netns nodes join; BGP routes the kubelet node's block to them and theirs to it", async () => {
  netnsNodes.push(await cluster().addNode(), await cluster().addNode());
  await cluster().waitReady(120_000);
  const kubeletBlock = (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${kubeletNodeName}`, "-o", "jsonpath={.items[0].spec.cidr}"])).trim();
  for (const n of netnsNodes) {
    await waitFor(`${n.name} to route ${kubeletBlock} via ${kubeletNodeIP}`, 90_000, () => cluster().routes(n).get(kubeletBlock) === kubeletNodeIP ? true : undefined);
  }
  const kubeletRoutes = () => new Map((JSON.parse(must(["ip", "-n", kubelet().netns, "-j", "route", "show", "proto", "88"]) || "[]") as { dst: string; gateway?: string }[]).map((r) => [r.dst, r.gateway]));
  for (const n of netnsNodes) {
    const theirs = (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${n.name}`, "-o", "jsonpath={.items[0].spec.cidr}"])).trim();
    await waitFor(`the kubelet node to route ${theirs} via ${n.address}`, 90_000, () => kubeletRoutes().get(theirs) === n.address ? true : undefined);
  }
}, 300_000);

const allocations = () => (existsSync(join(setup.stateDir, "allocations")) ? readdirSync(join(setup.stateDir, "allocations")).filter((f) => !f.startsWith(".")) : []);

test("a Deployment's pods get Petrel addresses from the kubelet's runtime and reach each other and the demo's pods", async () => {
  await kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "petrel-e2e", namespace: "default" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "petrel-e2e" } },
      template: {
        metadata: { labels: { app: "petrel-e2e" } },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": kubeletNodeName },
          terminationGracePeriodSeconds: 1,
          containers: [{ name: "main", image: busyboxImage().ref, imagePullPolicy: "Never", command: ["sleep", "3600"] }],
        },
      },
    },
  }));
  await kubectl(["rollout", "status", "deployment/petrel-e2e", "-n", "default", "--timeout=180s"]);
  const pods = await setup.podsLabelled("petrel-e2e");
  expect(pods).toHaveLength(3);
  const blocks = (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${kubeletNodeName}`, "-o", "jsonpath={.items[*].spec.cidr}"])).trim().split(" ").map((b) => parseCidr(b));
  const inBlock = (ip: string) => blocks.some((b) => containsAddress(b, parseAddress(ip)));
  for (const p of pods) expect([p.name, inBlock(p.ip)]).toEqual([p.name, true]);
  say(`pods: ${pods.map((p) => `${p.name}=${p.ip}`).join(" ")}`);
  expect(allocations().sort()).toEqual(pods.map((p) => p.ip).sort());
  // The plugin's ADD turned forwarding on; the agent's next full pass reports it.
  expect(nodeForwarding()).toBe("1");
  await waitFor("IPForwarding True", 60_000, async () => ((await forwardingCondition())?.status === "True" ? true : undefined));

  // Pod to pod on the kubelet node.
  const [a, b, c] = pods;
  if (a === undefined || b === undefined || c === undefined) throw new Error("expected three pods");
  expect(await setup.pingFromPod(a, b.ip)).toBe(true);
  expect(await setup.pingFromPod(b, c.ip)).toBe(true);
  // To and from the demo's pods on the netns nodes, across the underlay, by BGP-learned routes.
  for (const n of netnsNodes) netnsPods.push(await cluster().addPod(n));
  for (const remote of netnsPods) {
    expect([`${a.name} -> ${remote.name}`, await setup.pingFromPod(a, remote.ip)]).toEqual([`${a.name} -> ${remote.name}`, true]);
    expect([`${remote.name} -> ${c.name}`, cluster().ping(remote, c.ip)]).toEqual([`${remote.name} -> ${c.name}`, true]);
  }
  // No encapsulation: the packets cross the underlay with pod addresses.
  const route = must(["ip", "-n", kubelet().netns, "route", "get", netnsPods[0]?.ip ?? ""]);
  expect(route).toMatch(new RegExp(`via ${netnsNodes[0]?.address.replaceAll(".", "\\.")} dev ul0`));
}, 300_000);

test("an agent's token cannot write another node's status (admission policy)", async () => {
  const agentPod = (await kubectl(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=node", "-o", "jsonpath={.items[0].metadata.name}"])).trim();
  // A token bound to the agent's pod carries the pod's node, as the kubelet-mounted one does.
  const token = (await kubectl(["create", "token", "petrel-node", "-n", NS, "--bound-object-kind=Pod", `--bound-object-name=${agentPod}`])).trim();
  const ca = readFileSync(cluster().rig.caPath);
  // A merge patch straight to the API, as the agent sends it (kubectl patch would GET first,
  // which the agent's RBAC does not allow on the status subresource).
  const patchStatus = (node: string) => apiRequest(cluster().rig.server, ca, token, "PATCH", `/apis/petrel.dev/v1alpha1/petrelnodes/${node}/status`, { status: {} }, "application/merge-patch+json");
  const other = netnsNodes[0]?.name ?? "node-1";
  const denied = await patchStatus(other);
  expect(denied.status).toBe(403);
  expect(JSON.stringify(denied.body)).toContain(`the Petrel agent on node \\"${kubeletNodeName}\\" may write the status of its own node only`);
  const own = await patchStatus(kubeletNodeName);
  expect(own.status).toBe(200);
}, 60_000);

test("helm test: the chart's peers answer the checking pod over the pod network", async () => {
  // The test pod's report is its termination message; the hooks are deleted right after they
  // pass, so a watch records it (the apiserver cannot reach this kubelet for logs).
  const watch = spawn(join(cluster().rig.binDir, "kubectl"), ["--kubeconfig", cluster().rig.kubeconfigPath, "get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=test", "-w",
    "-o", "jsonpath={.metadata.name} {.status.phase}{\"\\n\"}{.status.containerStatuses[0].state.terminated.message}{\"\\n\"}"]);
  let watched = "";
  watch.stdout.on("data", (d: Buffer) => (watched += d.toString()));
  const t0 = Date.now();
  let out: string;
  try {
    out = await helmOk(["test", "petrel", "--namespace", NS, "--timeout", "5m"], cluster().rig.kubeconfigPath);
  } finally {
    await sleep(1000);
    watch.kill();
  }
  say(`helm test took ${Date.now() - t0} ms:\n${out}\n${watched}`);
  expect(out).toMatch(/TEST SUITE:\s+petrel-test-connectivity[\s\S]*Phase:\s+Succeeded/);
  expect(watched).toMatch(/petrel-test-peer-\S+ +kubelet-1 +198\.18\.\S+ +same node +ok/);
  expect(watched).toContain("1/1 peers answered, on 1 node(s)");
  // One kubelet node: the report says that nothing crossed nodes rather than claiming it did.
  expect(watched).toContain("pod-to-pod was checked on one node only, not across nodes");
  // Passed: the hooks are gone.
  await waitFor("the test hooks to be deleted", 60_000, async () =>
    (await kubectl(["get", "pods,daemonsets", "-n", NS, "-l", "app.kubernetes.io/component in (test,test-peer)", "-o", "name"])).trim() === "" ? true : undefined);
}, 420_000);

test("petrelctl in the agent's pod: --version, ipam check without a 403, ipam show --ip with the node's record, veth and route", async () => {
  const agent = JSON.parse(await kubectl(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=node", "-o", "json"])) as {
    items: { status: { containerStatuses: { name: string; containerID: string }[] } }[];
  };
  const agentId = (agent.items[0]?.status.containerStatuses.find((c) => c.name === "agent")?.containerID ?? "").replace(/^containerd:\/\//, "");
  const inAgent = (args: readonly string[]) => kubelet().ctr(["tasks", "exec", "--exec-id", `petrelctl-${process.pid}-${setup.nextExecId()}`, agentId, "petrelctl", ...args]);
  const said = await inAgent(["--version"]);
  expect(said.stdout).toMatch(new RegExp(`^petrelctl ${version.replaceAll(".", "\\.")}\ncommit: +[0-9a-f]{40}(-dirty)?\nbuilt: +[0-9TZ:-]+\nruntime: +node v24\\.`));
  // The agent reports its blocks' usage every few seconds: right after the helm test hooks are
  // deleted the kubelet node's block may still count their addresses (the check's own advice is
  // "re-run in a few seconds"), so the check is repeated until that node has no finding (30 s).
  let check = await inAgent(["ipam", "check", "--state-dir", setup.stateDir, "-o", "json"]);
  const kubeletFindings = (stdout: string) => {
    try {
      return (JSON.parse(stdout) as { findings: { node?: string }[] }).findings.filter((f) => f.node === kubeletNodeName).length;
    } catch {
      return 0; // not JSON: the assertions below say what it printed
    }
  };
  for (let tries = 1; tries < 15 && kubeletFindings(check.stdout) > 0; tries++) {
    await sleep(2000);
    check = await inAgent(["ipam", "check", "--state-dir", setup.stateDir, "-o", "json"]);
  }
  say(`ipam check in the agent's pod: ${check.status} ${check.stdout.slice(0, 400)} ${check.stderr}`);
  expect(check.stderr).not.toContain("403");
  // It ran (no 403). The demo's netns "pods" on node-1/node-2 are namespaces, not Pods, so their
  // addresses count as allocated without a pod; nothing is wrong on the kubelet node itself.
  expect(check.status).toBe(1);
  const findings = (JSON.parse(check.stdout) as { findings: { kind: string; node?: string }[] }).findings;
  expect(findings.filter((f) => f.node === kubeletNodeName)).toEqual([]);
  expect([...new Set(findings.map((f) => f.kind))]).toEqual(["allocated-without-pod"]);
  const pods = await setup.podsLabelled("petrel-e2e");
  const p = pods[0];
  if (p === undefined) throw new Error("no Deployment pod");
  const show = await inAgent(["ipam", "show", "--ip", p.ip, "--state-dir", setup.stateDir, "-o", "json"]);
  expect([show.status, show.stderr]).toEqual([0, ""]);
  const report = JSON.parse(show.stdout) as { block: { node: string }; pods: { name: string }[]; nodeFacts: { hostVeth: string; hostVethState: string; route: { dev: string; protocol: string } }; findings: string[] };
  expect(report.block.node).toBe(kubeletNodeName);
  expect(report.pods.map((x) => x.name)).toEqual([p.name]);
  expect(report.findings).toEqual([]);
  expect(report.nodeFacts.route).toMatchObject({ dev: report.nodeFacts.hostVeth, protocol: "89" });
  expect(report.nodeFacts.hostVeth).toMatch(/^ptl[0-9a-f]{12}$/);
  // The veth is really there in the node's network namespace, under that name.
  expect(must(["ip", "-n", kubelet().netns, "-j", "link", "show", "dev", report.nodeFacts.hostVeth])).toContain(report.nodeFacts.hostVeth);
  // The plugin's log is in the state directory at info (the chart's conflist), one line per ADD.
  const cniLog = readFileSync(join(setup.stateDir, "cni.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: string; message: string });
  expect(cniLog.filter((l) => l.message === "pod wired").length).toBeGreaterThanOrEqual(3);
}, 120_000);

test("deleting the pods gives their addresses back", async () => {
  expect(allocations()).toHaveLength(3);
  await kubectl(["delete", "deployment", "petrel-e2e", "-n", "default", "--wait=true"]);
  await waitFor("the pods' addresses to be freed", 90_000, () => (allocations().length === 0 ? true : undefined));
  await kubectl(["wait", "--for=delete", "pods", "-l", "app=petrel-e2e", "-n", "default", "--timeout=120s"]);
  // The kubelet removes a dead pod's sandbox at its once-a-minute clean-up. Wait for that before
  // the uninstall: containerd 1.6 runs CNI DEL again when it removes a sandbox, and that fails for
  // good once the CNI config is gone (operators should, likewise, uninstall a CNI only after the
  // pods using it are gone).
  await waitFor("the kubelet to remove the pods' sandboxes", 150_000, async () => {
    const left = (await kubelet().containerd.cri.listPodSandboxes()).filter((sb) => sb.metadata?.name.startsWith("petrel-e2e-") === true);
    return left.length === 0 ? true : undefined;
  });
}, 300_000);

let lossTarget: PodInfo | undefined;

test("a hostNetwork pod without capabilities on the node cannot reach gobgpd's API", async () => {
  const probe = await setup.startPod("hostnet-probe", {
    hostNetwork: true,
    containers: [{
      name: "main", image: busyboxImage().ref, imagePullPolicy: "Never", command: ["sleep", "3600"],
      securityContext: { runAsUser: 65534, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    }],
  });
  try {
    // The pod is on the node's network: it reaches a TCP port on the node's loopback.
    // (busybox nc: no -z; with stdin at its end it connects, and exits 0 once connected.)
    const connect = (port: number) => setup.execIn(probe.containerId, ["sh", "-c", `nc -w 2 127.0.0.1 ${port} </dev/null`]);
    const listener = spawn("ip", ["netns", "exec", kubelet().netns, "busybox", "nc", "-l", "-p", "50099"], { stdio: "ignore" });
    try {
      await sleep(500);
      const control = await connect(50099);
      expect([control.status, control.stderr]).toEqual([0, ""]);
    } finally {
      listener.kill("SIGKILL");
    }
    // gobgpd listens on no TCP port for its API (the old 127.0.0.1:50051), and its unix socket lives
    // in the node pod's own volume, which this pod's file system does not have.
    const tcp = await connect(50051);
    expect(tcp.status).not.toBe(0);
    const find = await setup.execIn(probe.containerId, ["sh", "-c", "ls -ld /run/petrel 2>&1; find / -xdev -name 'gobgpd.sock' 2>/dev/null | head -1"]);
    expect(find.stdout).toMatch(/No such file or directory/);
    expect(find.stdout).not.toContain("gobgpd.sock");
    // In the node pod the directory is private (0700, root), the socket inside it.
    const node = await setup.nodePod();
    const agentId = node.containers.find((c) => c.name === "agent")?.id ?? "";
    const st = await setup.execIn(agentId, ["stat", "-c", "%a %u %F", "/run/petrel/gobgp", "/run/petrel/gobgp/gobgpd.sock"]);
    expect(st.stdout.trim().split("\n")).toEqual(["700 0 directory", expect.stringMatching(/^7\d\d 0 socket$/)]);
    say("hostNetwork probe pod (uid 65534, no capabilities): TCP to the node's loopback works, 127.0.0.1:50051 refused, no gobgpd socket in its file system; /run/petrel/gobgp is 0700 root in the node pod");
  } finally {
    await setup.deletePod("hostnet-probe");
  }
}, 300_000);

test("restarts on the kubelet node (agent, gobgpd SIGTERM, gobgpd SIGKILL) lose no pings across nodes", async () => {
  lossTarget = await setup.startPod("loss-target", { containers: [{ name: "main", image: busyboxImage().ref, imagePullPolicy: "Never", command: ["sleep", "3600"] }] });
  const from = netnsPods[0];
  if (from === undefined) throw new Error("no netns pod");
  expect(cluster().ping(from, lossTarget.ip)).toBe(true);
  const restart = async (container: "agent" | "gobgpd", signal: "SIGTERM" | "SIGKILL") => {
    const before = (await setup.nodePod()).containers.find((c) => c.name === container);
    if (before === undefined) throw new Error(`no ${container} container`);
    const loss = await pingDuring(from.netns, lossTarget?.ip ?? "", async () => {
      const r = await kubelet().ctr(["tasks", "kill", "-s", signal, before.id]);
      if (r.status !== 0) throw new Error(`ctr tasks kill ${before.id}: ${r.stderr}`);
      await waitFor(`${container} restarted and ready`, 120_000, async () => {
        const now = (await setup.nodePod()).containers;
        const c = now.find((x) => x.name === container);
        return c !== undefined && c.restarts > before.restarts && now.every((x) => x.ready) ? true : undefined;
      });
      // The agent settles (30 s by default: it removes nothing meanwhile); wait out part of it.
      await sleep(10_000);
    }, 0.2);
    say(formatLoss(`${container} ${signal} on the kubelet node: ${from.name} pod -> kubelet pod`, loss));
    return loss;
  };
  const losses = [await restart("agent", "SIGKILL"), await restart("gobgpd", "SIGTERM"), await restart("gobgpd", "SIGKILL")];
  for (const l of losses) {
    expect(l.sent).toBeGreaterThan(30);
    expect(l.lost).toBe(0);
  }
  expect(cluster().ping(from, lossTarget.ip)).toBe(true);
}, 600_000);

test("helm upgrade rolls the DaemonSet; the node's CNI files never go away meanwhile, and pods still start", async () => {
  const conflist = join(setup.cniConfDir, "00-petrel.conflist");
  const before = (await kubectl(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=node", "-o", "jsonpath={.items[*].metadata.name}"])).trim();
  let missing = 0;
  let checks = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      checks++;
      if (!existsSync(conflist) || !existsSync(join(setup.cniBinDir, "petrel"))) missing++;
      await sleep(50);
    }
  })();
  // A changed value changes the pod template: a rolling update of the DaemonSet. Pings cross it
  // from a netns node's pod to a pod on the kubelet node.
  // Another CNI's config on the node: cni.exclusive moves it aside (and uninstall brings it back).
  writeFileSync(join(setup.cniConfDir, "10-other.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "other", plugins: [{ type: "other" }] }));
  const from = netnsPods[0];
  if (from === undefined || lossTarget === undefined) throw new Error("no pods to ping between");
  const loss = await pingDuring(from.netns, lossTarget.ip, async () => {
    // crds.keep=false: the opt-in removal of the CRDs at uninstall (NOTES.txt says to set it so).
    await helmOk(["upgrade", "petrel", chartDir, "--namespace", NS, "-f", values(), "--set", "node.logLevel=info", "--set", "crds.keep=false", "--set", "cni.exclusive=true"], cluster().rig.kubeconfigPath);
    await kubectl(["-n", NS, "rollout", "status", "daemonset/petrel-node", "--timeout=240s"]);
    await sleep(10_000);
  }, 0.2);
  watching = false;
  await watcher;
  say(formatLoss(`helm upgrade rolling the node pod: ${from.name} pod -> kubelet pod`, loss));
  expect(loss.sent).toBeGreaterThan(30);
  expect(loss.lost).toBe(0);
  await setup.deletePod(lossTarget.name);
  const after = (await kubectl(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=node", "-o", "jsonpath={.items[*].metadata.name}"])).trim();
  say(`upgrade: ${before} -> ${after}; CNI files checked ${checks} times, missing ${missing} times`);
  expect(after).not.toBe(before);
  expect(checks).toBeGreaterThan(10);
  expect(missing).toBe(0);
  expect(readdirSync(setup.cniConfDir).sort()).toEqual(["00-petrel.conflist", "10-other.conflist.petrel-aside"]);
  // A pod started after the upgrade gets an address as before.
  await kubectl(["run", "after-upgrade", "-n", "default", `--image=${busyboxImage().ref}`, "--image-pull-policy=Never", "--restart=Never",
    `--overrides=${JSON.stringify({ spec: { nodeSelector: { "kubernetes.io/hostname": kubeletNodeName }, terminationGracePeriodSeconds: 1 } })}`, "--command", "--", "sleep", "3600"]);
  await kubectl(["wait", "--for=condition=Ready", "pod/after-upgrade", "-n", "default", "--timeout=120s"]);
  expect(await kubectl(["get", "pod", "after-upgrade", "-n", "default", "-o", "jsonpath={.status.podIP}"])).toMatch(/^198\.18\./);
  await kubectl(["delete", "pod", "after-upgrade", "-n", "default", "--wait=true"]);
  await waitFor("the kubelet to remove the pod's sandbox", 150_000, async () =>
    (await kubelet().containerd.cri.listPodSandboxes()).some((sb) => sb.metadata?.name === "after-upgrade") ? undefined : true);
}, 420_000);

test("helm uninstall removes the release, the CRDs and the node's CNI files", async () => {
  for (const p of netnsPods.splice(0)) await cluster().removePod(p);
  const t0 = Date.now();
  await helmOk(["uninstall", "petrel", "--namespace", NS, "--wait", "--timeout=4m"], cluster().rig.kubeconfigPath);
  say(`helm uninstall --wait took ${Date.now() - t0} ms`);
  // Petrel's files go; the config that cni.exclusive moved aside comes back.
  await waitFor("the CNI files to be removed from the node", 90_000, () => (readdirSync(setup.cniBinDir).length === 0 && readdirSync(setup.cniConfDir).join() === "10-other.conflist" ? true : undefined));
  await waitFor("the Petrel CRDs to be gone", 120_000, async () => ((await kubectl(["get", "crd", "-o", "name"])).includes("petrel.dev") ? undefined : true));
  // The DaemonSet's pod is the last to go: its installer sidecar stops after the agent and gobgpd.
  const kinds = "all,cm,sa,role,rolebinding,clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding,job";
  const left = async () => (await kubectl(["get", kinds, "-A", "-l", "app.kubernetes.io/instance=petrel", "-o", "name"])).trim();
  await waitFor("every object of the release to be gone", 90_000, async () => ((await left()) === "" ? true : undefined)).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; still there: ${await left()}`);
  });
  // The node's state directory (allocation records of pods that may still run) stays by design.
  expect(existsSync(join(setup.stateDir, "allocations"))).toBe(true);
}, 360_000);

test("no CNI plugin run by containerd or the netns nodes ran ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
