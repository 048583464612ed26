// petrelctl's node-local facts through the real path: the rig's kubectl execs, through the real
// apiserver, into a container run by a real kubelet (containerd 1.6), in the node's own network
// namespace. The container is the chart's node image (helm/images/build.sh) labelled as Petrel's
// node pod, so what runs in it is the image's petrelctl, ip and nft. The apiserver reaches this
// kubelet at its node IP over the uplink (test/rig/node-netns.ts), inside the machine.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AddressReport } from "../../bgp/petrelctl/address-report.ts";
import type { BgpRoutesReport } from "../../bgp/petrelctl/bgp-routes.ts";
import type { RoutesView } from "../../common/bgp-routes.ts";
import { block, pool } from "../../bgp/petrelctl/testing/objects.ts";
import { petrelCache } from "../rig/binaries.ts";
import { KubeRig, runProcess, type ProcessResult } from "../rig/rig.ts";
import { KubeletNode } from "../rig/kubelet-node.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";
import { NodeNetns } from "../rig/node-netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { must } from "../rig/run-process.ts";

requireRoot();

const nodeName = "exec-node";
const NS = "petrel-system";
const bin = join(repoRoot, "dist", "bin");
const imageDir = join(petrelCache(), "images");
const version = (JSON.parse(must(["cat", join(repoRoot, "package.json")])) as { version: string }).version;
const ns = new NetnsSet("pex");
let net: NodeNetns | undefined;
let rig: KubeRig | undefined;
let node: KubeletNode | undefined;
let work = "";

const say = (line: string): void => {
  process.stderr.write(`[node-exec.test] ${line}\n`);
};
const r = (): KubeRig => {
  if (rig === undefined) throw new Error("the rig did not start (see the beforeAll error)");
  return rig;
};
const ctl = (args: readonly string[]): Promise<ProcessResult> =>
  runProcess("env", ["-u", "KUBECONFIG", `KUBECTL=${join(r().binDir, "kubectl")}`, join(bin, "petrelctl"), `--kubeconfig=${r().kubeconfigPath}`, ...args]);

// An agent's health port that nothing else on the machine uses (the node's namespace is its own anyway).
const agentPort = 19095;
const routesServer = `require("http").createServer((q, s) => { const ok = q.url === "/bgp/routes"; s.writeHead(ok ? 200 : 404, { "content-type": "application/json" }); s.end(ok ? process.env.ROUTES_VIEW : "{}"); }).listen(${agentPort}, "127.0.0.1")`;
const standInView: RoutesView = {
  version: 1, node: nodeName, generatedAt: "2026-01-02T03:04:05Z", bgpConfigured: true, routesHeld: false, settling: false,
  peers: [{ address: "192.0.2.254", asn: 65000, kind: "GlobalPeer", source: "BGPPeer tor", state: "Established", uptimeSeconds: 65, received: 1, refused: 0, advertised: 1 }],
  advertised: [{ prefix: "198.18.0.0/26", nextHop: "198.51.100.2", kind: "block" }],
  learned: [{ prefix: "198.18.0.64/26", peer: "192.0.2.254", nextHop: "192.0.2.254", stale: false, state: "installed", kernelGateway: "192.0.2.254" }],
  refused: [{ peer: "192.0.2.254", prefix: "0.0.0.0/0", nextHop: "192.0.2.254", reason: "default_route", detail: "a default route", times: 1, firstSeen: "2026-01-02T03:04:00Z", lastSeen: "2026-01-02T03:04:00Z" }],
  refusedDropped: 0, refusedTotals: { default_route: 1 },
};

beforeAll(async () => {
  say("building the images (helm/images/build.sh reuses images whose inputs did not change)");
  const build = await runProcess(join(repoRoot, "helm", "images", "build.sh"), ["--oci-dir", imageDir, "--only", "node"]);
  if (build.status !== 0) throw new Error(`helm/images/build.sh failed:\n${build.stderr.slice(-3000)}`);
  net = NodeNetns.create(ns);
  rig = await KubeRig.start({ listenAddress: net.apiAddress });
  await r().startControlPlaneControllers();
  work = mkdtempSync("/tmp/petrel-pex-");
  for (const d of ["cni-bin", "cni-conf"]) mkdirSync(join(work, d));
  node = await KubeletNode.start({
    rig: r(), name: nodeName, netns: net.name, nodeIP: net.address, cniBinDir: join(work, "cni-bin"), cniConfDir: join(work, "cni-conf"),
    images: [join(imageDir, `petrel-node-${version}.oci.tar`)], log: say,
  });
  await r().kubectlOk(["apply", "-f", join(repoRoot, "crds")]);
  await r().kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  await r().kubectlOk(["create", "namespace", NS]);
  await r().kubectlOk(["apply", "-f", "-"], JSON.stringify(pool("default", "198.18.0.0/16")));
  await r().kubectlOk(["apply", "-f", "-"], JSON.stringify(block("198.18.0.0/26", nodeName, "default")));
  // "Petrel's node pod" as far as petrelctl can tell: the chart's labels, a container named
  // agent with --state-dir and --health-address, host network; here it only sleeps, with one
  // allocation record, and serves a routes view (as the agent would at /bgp/routes) with the
  // image's Node on the node's loopback.
  await r().kubectlOk(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1", kind: "Pod",
    metadata: { name: "petrel-node-x", namespace: NS, labels: { "app.kubernetes.io/name": "petrel", "app.kubernetes.io/component": "node" } },
    spec: {
      nodeName, hostNetwork: true, terminationGracePeriodSeconds: 1, tolerations: [{ operator: "Exists" }],
      containers: [{
        name: "agent", image: `localhost/petrel/node:${version}`, imagePullPolicy: "Never",
        command: ["/bin/sh", "-c", `mkdir -p /tmp/state/allocations && ln -sf petrel/c0ffee/eth0 /tmp/state/allocations/198.18.0.5 && (node -e '${routesServer}' &) && echo agent stand-in up && exec sleep infinity`, "sh", "--state-dir=/tmp/state", `--health-address=0.0.0.0:${agentPort}`],
        env: [{ name: "ROUTES_VIEW", value: JSON.stringify(standInView) }],
        // As the chart's agent: nft needs NET_ADMIN to list the ruleset.
        securityContext: { capabilities: { add: ["NET_ADMIN"] } },
      }],
    },
  }));
  await r().kubectlOk(["wait", "-n", NS, "--for=condition=Ready", "pod/petrel-node-x", "--timeout=120s"]);
}, 600_000);

afterAll(async () => {
  await node?.stop().catch((err: unknown) => say(`node stop: ${String(err)}`));
  await rig?.stop();
  net?.remove();
  ns.removeAll();
  if (work !== "") rmSync(work, { recursive: true, force: true });
}, 180_000);

test("ipam show --ip: the node's facts come back from petrelctl in the node's pod", async () => {
  const res = await ctl(["ipam", "show", "--ip", "198.18.0.5", "-o", "json"]);
  say(`ipam show --ip: ${res.status} ${res.stderr}`);
  const report = JSON.parse(res.stdout) as AddressReport;
  expect(report.nodeFacts).toMatchObject({ node: nodeName, record: { target: "petrel/c0ffee/eth0", containerId: "c0ffee" } });
  expect(report.nodeFacts).not.toHaveProperty("route"); // no /32 on the node (JSON drops undefined)
  // A record, no pod, no route: a leaked allocation, found through the node.
  expect(report.findings).toEqual([expect.stringMatching(/^node exec-node holds 198\.18\.0\.5 for petrel\/c0ffee\/eth0 but no pod reports it/)]);
  expect(res.status).toBe(1);
});

test("diags: the node's routes, nft ruleset, state and versions, and the pod's log, in one archive", async () => {
  const archive = join(work, "diags.tar.gz");
  const res = await ctl(["diags", "--node", nodeName, "-f", archive]);
  say(`diags: ${res.status}\n${res.stderr}`);
  const files = must(["tar", "-tzf", archive]).trim().split("\n");
  const top = files[0]?.split("/")[0] ?? "";
  const read = (f: string) => must(["tar", "-xzOf", archive, `${top}/${f}`]);
  // Run in the node's network namespace: its uplink to the apiserver is there.
  expect(read(`nodes/${nodeName}/routes.txt`)).toContain("198.51.100.1 dev api0");
  expect(read(`nodes/${nodeName}/versions.txt`)).toContain(`petrel-agent ${version}\n`);
  expect(read(`nodes/${nodeName}/versions.txt`)).toContain("CNI protocol versions supported:");
  expect(read(`nodes/${nodeName}/nft-ruleset.txt`)).not.toContain("command not found");
  expect(read(`nodes/${nodeName}/state/allocations.txt`)).toContain("198.18.0.5 -> petrel/c0ffee/eth0");
  expect(read(`logs/${NS}_petrel-node-x_agent.log`)).toContain("agent stand-in up");
  // The stand-in has no blocks.json or CNI log: those sections say so, and nothing else is missing.
  expect(read(`nodes/${nodeName}/state/blocks.json`)).toContain("No such file or directory");
  expect([res.status, files.some((f) => f.endsWith("/errors.txt"))]).toEqual([0, false]);
});

test("bgp routes --node: the pod's petrelctl reads its agent's routes view on the node's loopback; petrelctl checks and renders it", async () => {
  const res = await ctl(["bgp", "routes", "--node", nodeName, "-o", "json"]);
  say(`bgp routes -o json: ${res.status} ${res.stderr}`);
  expect([res.status, res.stderr]).toEqual([0, ""]);
  expect(JSON.parse(res.stdout) as BgpRoutesReport).toEqual({ nodes: [{ node: nodeName, routes: standInView }] });
  const table = await ctl(["bgp", "routes"]);
  say(`bgp routes:\n${table.stdout}`);
  expect(table.status).toBe(0);
  expect(table.stdout).toMatch(/^exec-node +192\.0\.2\.254 +65000 +GlobalPeer +Established +65s +1 +0 +1$/m);
  expect(table.stdout).toMatch(/^exec-node +198\.18\.0\.64\/26 +192\.0\.2\.254 +192\.0\.2\.254 +installed$/m);
  expect(table.stdout).toMatch(/^exec-node +0\.0\.0\.0\/0 +192\.0\.2\.254 +192\.0\.2\.254 +default_route +1 +5s ago$/m);
});

test("a node whose kubelet does not answer: the command says which node and exits 1", async () => {
  // Stop the kubelet and its containerd: the API still has the pod, exec has nobody to reach.
  await node?.stop();
  node = undefined;
  await sleep(1000);
  const res = await ctl(["ipam", "show", "--ip", "198.18.0.5", "--exec-timeout", "10s"]);
  say(`ipam show --ip after the kubelet stopped: ${res.status}\n${res.stdout}${res.stderr}`);
  expect(res.status).toBe(1);
  expect(res.stdout).toMatch(/WARNING: no facts from node exec-node: kubectl exec into petrel-system\/petrel-node-x on exec-node (failed|gave no answer within 10 s)/);
  const routes = await ctl(["bgp", "routes", "--node", nodeName, "--exec-timeout", "10s"]);
  say(`bgp routes after the kubelet stopped: ${routes.status}\n${routes.stdout}${routes.stderr}`);
  expect(routes.status).toBe(1);
  expect(routes.stdout).toMatch(/^WARNING: exec-node: not asked: kubectl exec into petrel-system\/petrel-node-x on exec-node (failed|gave no answer within 10 s)/);
}, 60_000);
