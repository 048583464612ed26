// petrelctl (the built dist/bin/petrelctl, the Bun-compiled executable) against a real kube-apiserver:
// PetrelNodes, IPPools, IPAMBlocks and Pods are written through the API the way the controller,
// the agents and the kubelet would (status through the status subresource), and the allocation
// records of `--state-dir` are real symlinks in a temp dir, as the CNI plugin makes them.
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";
import { PLURALS } from "../../common/api/index.ts";
import type { CheckReport } from "../../bgp/petrelctl/check-report.ts";
import type { IpamShowReport } from "../../bgp/petrelctl/ipam-show.ts";
import type { NodeStatusReport } from "../../bgp/petrelctl/node-status.ts";
import { ago, block, petrelNode, pool, readyCondition } from "../../bgp/petrelctl/testing/objects.ts";
import { hostVethName } from "../../common/pod-veth.ts";
import { KubeRig, runProcess, type ProcessResult } from "../rig/rig.ts";
import { repoRoot } from "../rig/repo-root.ts";

jest.setTimeout(120_000);

const petrelctl = join(repoRoot, "dist", "bin", "petrelctl");
let rig: KubeRig;
let stateDir: string;

/** Runs petrelctl against the rig; the test's own KUBECONFIG and NODE_NAME do not leak in. */
function ctl(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ProcessResult> {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return runProcess("env", ["-u", "KUBECONFIG", "-u", "NODE_NAME", ...assignments, petrelctl, `--kubeconfig=${rig.kubeconfigPath}`, ...args]);
}

async function ctlJson<T>(args: readonly string[]): Promise<{ status: number; report: T; stderr: string }> {
  const r = await ctl([...args, "-o", "json"]);
  return { status: r.status, report: JSON.parse(r.stdout) as T, stderr: r.stderr };
}

async function ok(method: string, path: string, body: unknown, contentType?: string): Promise<void> {
  const r = await rig.request(method, path, body, contentType);
  if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
}

/** Creates a Petrel object, then writes its status through the status subresource. */
async function create(obj: IPPool | IPAMBlock | PetrelNode): Promise<void> {
  const plural = PLURALS[obj.kind];
  const { status, ...rest } = obj;
  await ok("POST", `/apis/petrel.dev/v1alpha1/${plural}`, rest);
  if (status !== undefined) {
    await ok("PATCH", `/apis/petrel.dev/v1alpha1/${plural}/${obj.metadata.name}/status`, { status }, "application/merge-patch+json");
  }
}

/** A Pod bound to `node`, with the addresses the kubelet would report after the CNI ADD. */
async function createPod(name: string, node: string, ips: readonly string[], opts: { hostNetwork?: boolean; phase?: string } = {}): Promise<void> {
  await ok("POST", "/api/v1/namespaces/default/pods", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { nodeName: node, hostNetwork: opts.hostNetwork === true, containers: [{ name: "c", image: "registry.invalid/pause:1" }] },
  });
  const status = { phase: opts.phase ?? "Running", ...(ips.length === 0 ? {} : { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) }) };
  await ok("PATCH", `/api/v1/namespaces/default/pods/${name}/status`, { status }, "application/merge-patch+json");
}

/** One allocation record as the CNI plugin writes it: a symlink named after the address. */
async function record(address: string, container: string): Promise<void> {
  await symlink(`petrel/${container}/eth0`, join(stateDir, "allocations", address));
}

beforeAll(async () => {
  if (!existsSync(petrelctl)) throw new Error(`${petrelctl} is missing: run node test/scripts/build.ts first (npm run test:privileged does)`);
  rig = await KubeRig.start();
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  // No controller-manager: make sure the namespace and its default ServiceAccount exist for Pods.
  for (const [path, body] of [
    ["/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } }],
    ["/api/v1/namespaces/default/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } }],
  ] as const) {
    const r = await rig.request("POST", path, body);
    if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  }
  await rig.addNode("node-a", {}, { internalIP: "192.0.2.11" });
  await rig.addNode("node-b", {}, { internalIP: "192.0.2.12" });
}, 300_000);

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "petrelctl-state-"));
  await mkdir(join(stateDir, "allocations"));
});

afterEach(async () => {
  await rig.kubectlOk(["delete", "ippools,ipamblocks,petrelnodes", "--all", "--wait=true"]);
  await rig.kubectlOk(["delete", "pods", "--all", "-n", "default", "--grace-period=0", "--force", "--wait=true"]);
  await rm(stateDir, { recursive: true, force: true });
});

afterAll(async () => {
  await rig?.stop();
});

describe("node status", () => {
  async function twoNodes(heartbeatB: number): Promise<void> {
    const now = new Date();
    await create(petrelNode("node-a", {
      bgpSessions: [
        { peerIP: "192.0.2.12", asNumber: 64512, type: "NodeMesh", state: "Established", since: ago(now, 5 * 60_000 + 3000), prefixesReceived: 1, prefixesAdvertised: 1 },
        { peerIP: "198.51.100.1", asNumber: 65001, type: "GlobalPeer", state: "Active", since: ago(now, 20_000), prefixesReceived: 0, prefixesAdvertised: 0 },
      ],
      conditions: [readyCondition("True")],
      lastHeartbeatTime: ago(now, 5_000),
    }));
    await create(petrelNode("node-b", {
      bgpSessions: [{ peerIP: "192.0.2.11", asNumber: 64512, type: "NodeMesh", state: "Established", since: ago(now, 5 * 60_000), prefixesReceived: 1, prefixesAdvertised: 1 }],
      conditions: [readyCondition("True")],
      lastHeartbeatTime: ago(now, heartbeatB),
    }));
  }

  test("the peers table of two nodes, and a line per node", async () => {
    await twoNodes(10_000);
    const r = await ctl(["node", "status"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // Cells are at least three spaces apart; ages depend on how long the test took, so they are matched loosely.
    const [peers = "", perNode = ""] = r.stdout.split("\n\n");
    const cells = (table: string) => table.trimEnd().split("\n").map((line) => line.split(/ {3,}/));
    expect(cells(peers)).toEqual([
      ["NODE", "PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "PREFIXES RECEIVED/ADVERTISED"],
      ["node-a", "192.0.2.12", "NodeMesh", "Established", expect.stringMatching(/^5m\d+s$/), "1/1"],
      ["node-a", "198.51.100.1", "GlobalPeer", "Active", expect.stringMatching(/^\d+s$/), "0/0"],
      ["node-b", "192.0.2.11", "NodeMesh", "Established", expect.stringMatching(/^5m(\d+s)?$/), "1/1"],
    ]);
    expect(cells(perNode)).toEqual([
      ["NODE", "READY", "HEARTBEAT", "SESSIONS ESTABLISHED"],
      ["node-a", "True", expect.stringMatching(/^\d+s ago$/), "1/2"],
      ["node-b", "True", expect.stringMatching(/^\d+s ago$/), "1/1"],
    ]);
    expect(r.stdout).not.toContain("WARNING");

    const one = await ctl(["node", "status", "node-b"]);
    expect(one.status).toBe(0);
    expect(one.stdout).not.toContain("node-a");
    const json = await ctlJson<NodeStatusReport>(["node", "status"]);
    expect(json.report.nodes.map((n) => [n.name, n.stale, n.established, n.sessions])).toEqual([["node-a", false, 1, 2], ["node-b", false, 1, 1]]);
    expect(json.report.sessions[0]).toMatchObject({ node: "node-a", peerIP: "192.0.2.12", peerAS: 64512, type: "NodeMesh", state: "Established", prefixesReceived: 1 });

    const missing = await ctl(["node", "status", "node-z"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('petrelctl: PetrelNode "node-z" not found');
  });

  test("a stale heartbeat is flagged with a warning", async () => {
    await twoNodes(10 * 60_000 + 5_000);
    const r = await ctl(["node", "status"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nnode-b {3}True {4}10m ago \(stale\) {3}1\/1\n/); // 10m: ages from 10 to 11 minutes
    expect(r.stdout).toContain("WARNING: node-b: heartbeat 10m ago (older than 3m): the node's agent is not running or cannot reach the API server");
    expect(r.stdout).not.toContain("WARNING: node-a");
    // A longer limit silences it.
    expect((await ctl(["node", "status", "--stale-after", "15m"])).stdout).not.toContain("WARNING");
  });
});

describe("ipam", () => {
  /** A consistent cluster: two nodes with one block each and pods in them. */
  async function cleanCluster(): Promise<void> {
    await create(pool("main", "198.18.0.0/22", {}, { blockSize: 26, blocks: 2 }));
    await create(block("198.18.0.0/26", "node-a", "main", 2));
    await create(block("198.18.0.64/26", "node-b", "main", 1));
    await createPod("a1", "node-a", ["198.18.0.1"]);
    await createPod("a2", "node-a", ["198.18.0.2"]);
    await createPod("b1", "node-b", ["198.18.0.65"]);
    await createPod("agent-b", "node-b", ["192.0.2.12"], { hostNetwork: true });
    await createPod("done", "node-a", ["198.18.0.9"], { phase: "Succeeded" });
  }

  test("show: pools, then blocks per node", async () => {
    await cleanCluster();
    await create(pool("spare", "198.18.8.0/24", { blockSize: 28, disabled: true }));
    const r = await ctl(["ipam", "show"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "POOL    CIDR            BLOCK SIZE   BLOCKS   USED/CAPACITY   DISABLED   CONDITIONS",
        "main    198.18.0.0/22   26           2        3/128           false      -",
        "spare   198.18.8.0/24   28           0        0/0             true       -",
        "",
        "NODE     BLOCK            POOL   ALLOCATED/CAPACITY   DRAINING",
        "node-a   198.18.0.0/26    main   2/64                 false",
        "node-b   198.18.0.64/26   main   1/64                 false",
        "",
      ].join("\n"),
    );
    const json = await ctlJson<IpamShowReport>(["ipam", "show"]);
    expect(json.report.pools[0]).toMatchObject({ name: "main", blocks: 2, used: 3, capacity: 128 });
  });

  test("check: a consistent cluster has no findings and exits 0", async () => {
    await cleanCluster();
    const r = await ctl(["ipam", "check"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("No problems found (checked 1 pool, 2 blocks, 3 pod addresses).\n");
    expect(r.status).toBe(0);
  });

  async function findingsOf(args: readonly string[] = []): Promise<{ kinds: string[]; text: string; report: CheckReport }> {
    const text = await ctl(["ipam", "check", ...args]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(1);
    const json = await ctlJson<CheckReport>(["ipam", "check", ...args]);
    expect(json.status).toBe(1);
    return { kinds: json.report.findings.map((f) => `${f.kind} ${f.object}`), text: text.stdout, report: json.report };
  }

  test("check: overlapping blocks and a block outside its pool (exit 1)", async () => {
    await cleanCluster();
    await create(block("198.18.0.0/25", "node-b", "main", 0));
    await create(block("198.18.9.0/26", "node-b", "main", 0));
    const { kinds, text } = await findingsOf();
    expect(kinds).toEqual([
      "block-overlap IPAMBlock 198-18-0-0-25",
      "block-overlap IPAMBlock 198-18-0-0-25",
      "block-outside-pool IPAMBlock 198-18-9-0-26",
    ]);
    expect(text).toContain("[block-overlap] IPAMBlock 198-18-0-0-25 (198.18.0.0/25, node node-b, pool main) overlaps IPAMBlock 198-18-0-0-26 (198.18.0.0/26, node node-a, pool main)");
    expect(text).toContain("[block-outside-pool] IPAMBlock 198-18-9-0-26 (198.18.9.0/26, node node-b, pool main) lies outside its pool's CIDR 198.18.0.0/22");
    expect(text).toContain("    fix: ");
    expect(text).toMatch(/\n3 problems found \(checked 1 pool, 4 blocks, 3 pod addresses\)\.\n$/);
  });

  test("check: a pod without an allocation (exit 1)", async () => {
    await cleanCluster();
    await createPod("stray", "node-a", ["198.18.0.70"]); // node-b's block
    await createPod("lost", "node-b", ["198.18.3.3"]); // in the pool, in no block
    const { kinds, text, report } = await findingsOf();
    // Block usage counts only the pods of the block's own node, so stray's address adds no other finding.
    expect(kinds).toEqual(["pod-without-allocation Pod default/lost", "pod-without-allocation Pod default/stray"]);
    expect(text).toContain("[pod-without-allocation] Pod default/stray on node-a has address 198.18.0.70, which is in IPAMBlock 198-18-0-64-26 of node node-b, not in a block of node-a (pod without an allocation)");
    expect(text).toContain("fix: Nothing keeps 198.18.3.3 from being handed to another pod");
    expect(report.findings[0]?.node).toBe("node-b");
  });

  test("check: addresses allocated without a pod, counted per block (exit 1)", async () => {
    await cleanCluster();
    await ok("PATCH", "/apis/petrel.dev/v1alpha1/ipamblocks/198-18-0-0-26/status", { status: { allocated: 5 } }, "application/merge-patch+json");
    const { kinds, text, report } = await findingsOf();
    expect(kinds).toEqual(["allocated-without-pod IPAMBlock 198-18-0-0-26"]);
    expect(report.findings[0]?.count).toBe(3);
    expect(text).toContain("has 5 addresses allocated but 2 pods on node-a with an address in it: 3 addresses allocated without a pod");
    expect(text).toContain("petrelctl ipam check --state-dir /var/lib/petrel --node node-a");
  });

  test("check --state-dir: records match the node's pods (exit 0)", async () => {
    await cleanCluster();
    await record("198.18.0.1", "c-a1");
    await record("198.18.0.2", "c-a2");
    await writeFile(join(stateDir, "allocations", ".lock"), "123 456");
    await symlink("198.18.0.2", join(stateDir, "allocations", ".last-reserved-v4"));
    const r = await ctl(["ipam", "check", "--state-dir", stateDir, "--node", "node-a"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("No problems found (checked 1 pool, 2 blocks, 3 pod addresses, 2 allocation records on node-a).\n");
    expect(r.status).toBe(0);
    // NODE_NAME stands in for --node, as in the agent's pod.
    expect((await ctl(["ipam", "check", "--state-dir", stateDir], { NODE_NAME: "node-a" })).status).toBe(0);
  });

  test("check --state-dir: a record without a pod and a pod without a record (exit 1)", async () => {
    await cleanCluster();
    await record("198.18.0.1", "c-a1");
    await record("198.18.0.7", "0123456789abcdef0123456789abcdef"); // leaked: no pod has it
    // a2 (198.18.0.2) has no record. The block's count still matches (2 records, 2 pods).
    const { kinds, text } = await findingsOf(["--state-dir", stateDir, "--node", "node-a"]);
    expect(kinds).toEqual(["record-without-pod address 198.18.0.7", "pod-without-record Pod default/a2"]);
    expect(text).toContain(`[record-without-pod] ${stateDir}/allocations/198.18.0.7 records 198.18.0.7 for container 0123456789ab (network petrel, eth0), but no pod on node-a has that address`);
    expect(text).toContain("no sandbox 0123456789ab runs on node-a (crictl pods -q --no-trunc | grep 0123456789ab), the address leaked");
    expect(text).toContain(`rm ${stateDir}/allocations/198.18.0.7`);
    expect(text).toContain(`[pod-without-record] Pod default/a2 on node-a has address 198.18.0.2, but ${stateDir}/allocations/ has no record of it`);
    expect(text).toMatch(/\n2 problems found \(checked 1 pool, 2 blocks, 3 pod addresses, 2 allocation records on node-a\)\.\n$/);
  });

  test("check --check-routes reads the node's pod routes; --release-from-report frees a leak's veth and record under the plugin's locks", async () => {
    await cleanCluster();
    const leaked = "0123456789abcdef0123456789abcdef";
    await record("198.18.0.1", "c-a1");
    await record("198.18.0.2", "c-a2");
    await record("198.18.0.7", leaked);
    const netns = `petrelctl-release-${process.pid}`;
    const veth = hostVethName("petrel", leaked, "eth0");
    const ip = async (...args: string[]): Promise<ProcessResult> => {
      const r = await runProcess("ip", args);
      if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    await ip("netns", "add", netns);
    try {
      // The leak's host veth and pod route are still there; a2's route is missing.
      await ip("-n", netns, "link", "add", veth, "type", "veth", "peer", "name", "pod-end");
      for (const end of [veth, "pod-end"]) await ip("-n", netns, "link", "set", end, "up");
      for (const a of ["198.18.0.1", "198.18.0.7"]) await ip("-n", netns, "route", "add", `${a}/32`, "dev", veth, "proto", "89");
      const args = ["--state-dir", stateDir, "--node", "node-a", "--check-routes", "--netns", netns];
      const { kinds, report } = await findingsOf(args);
      expect(kinds).toEqual(["record-without-pod address 198.18.0.7", "record-without-route address 198.18.0.2"]);
      const file = join(stateDir, "report.json");
      await writeFile(file, JSON.stringify(report));
      const released = await ctl(["ipam", "check", "--release-from-report", file, "--netns", netns]);
      expect(released.stderr).toBe("");
      expect(released.stdout).toBe(`released 198.18.0.7: freed (record petrel/${leaked}/eth0)\n\n1 of 1 freed.\n`);
      expect(released.status).toBe(0);
      // lstat: a record is a symlink to nothing.
      const recorded = (a: string) => lstat(join(stateDir, "allocations", a)).then(() => true, () => false);
      expect([await recorded("198.18.0.7"), await recorded("198.18.0.1")]).toEqual([false, true]);
      expect((await runProcess("ip", ["-n", netns, "link", "show", "dev", veth])).status).not.toBe(0);
      const again = await ctl(["ipam", "check", "--release-from-report", file, "--netns", netns]);
      expect(again.stdout).toBe("refused  198.18.0.7: already gone: nothing to free\n\n0 of 1 freed.\n");
      expect(again.status).toBe(1);
    } finally {
      await runProcess("ip", ["netns", "del", netns]);
    }
  });
});

describe("usage and connection errors exit 2 and say what to do", () => {
  test("flags", async () => {
    const noNode = await ctl(["ipam", "check", "--state-dir", "/nonexistent"]);
    expect(noNode.status).toBe(2);
    expect(noNode.stderr).toContain("petrelctl: --node: is required with --state-dir");
    const badDir = await ctl(["ipam", "check", "--state-dir", "/nonexistent/petrel", "--node", "node-a"]);
    expect(badDir.status).toBe(2);
    expect(badDir.stderr).toContain("petrelctl: --state-dir: cannot read /nonexistent/petrel");
    const nodeAlone = await ctl(["ipam", "check", "--node", "node-a"]);
    expect(nodeAlone.status).toBe(2);
    expect(nodeAlone.stderr).toContain("--node: only selects whose allocation records --state-dir holds");
    const unknownNode = await ctl(["ipam", "check", "--state-dir", stateDir, "--node", "node-typo"]);
    expect(unknownNode.status).toBe(2);
    expect(unknownNode.stderr).toContain('--node: no IPAMBlock or pod in the cluster is on node "node-typo"');
    const badOutput = await ctl(["ipam", "show", "-o", "xml"]);
    expect(badOutput.status).toBe(2);
    expect(badOutput.stderr).toContain("Allowed choices are table, wide, json, yaml");
    const noCommand = await ctl([]);
    expect(noCommand.status).toBe(2);
    expect((await ctl(["--help"])).status).toBe(0);
  });

  test("an API server that refuses or never answers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "petrelctl-kc-"));
    const silent: Server = createServer(() => undefined); // accepts connections, never answers
    try {
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const port = (silent.address() as { port: number }).port;
      const kubeconfig = (server: string) => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
      // A port nothing listens on: take the silent server's, after closing a second one on it.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const closedPort = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await writeFile(join(dir, "refused"), kubeconfig(`https://127.0.0.1:${closedPort}`));
      await writeFile(join(dir, "silent"), kubeconfig(`https://127.0.0.1:${port}`));

      const refused = await runProcess(petrelctl, [`--kubeconfig=${join(dir, "refused")}`, "ipam", "show"]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`cannot reach the API server at https://127.0.0.1:${closedPort}`);
      expect(refused.stderr).toContain("ECONNREFUSED");
      const hung = await runProcess(petrelctl, [`--kubeconfig=${join(dir, "silent")}`, "--request-timeout=1s", "node", "status"]);
      expect(hung.status).toBe(2);
      expect(hung.stderr).toContain(`no answer from the API server at https://127.0.0.1:${port} within --request-timeout 1s`);
      const missing = await runProcess(petrelctl, [`--kubeconfig=${join(dir, "nope")}`, "ipam", "show"]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("petrelctl: --kubeconfig: cannot load a kubeconfig");
    } finally {
      silent.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
