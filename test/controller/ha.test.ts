// Failure modes against a real kube-apiserver: two controllers racing without leader election
// (create is the lock), leader election with the leader killed mid-run, and the API server
// killed and restarted mid-run. After each, the invariants hold and every node holds a block.
import { KubeRig } from "../rig/rig.ts";
import { ControllerProcess, fastControllerFlags } from "../support/controller.ts";
import { blocksByNode, ipamViolations, listBlocks, listPools, waitFor } from "../support/ipam.ts";

jest.setTimeout(300_000);

let rig: KubeRig;
const running: ControllerProcess[] = [];

async function startController(identity: string, flags: readonly string[] = fastControllerFlags): Promise<ControllerProcess> {
  const c = await ControllerProcess.start(rig, identity, flags);
  running.push(c);
  return c;
}

async function allServed(nodes: readonly string[], timeoutMs: number): Promise<number> {
  return waitFor("every node to hold a block", timeoutMs, async () => {
    const byNode = blocksByNode(await listBlocks(rig), true);
    const missing = nodes.filter((n) => !byNode.has(n));
    return missing.length === 0 || `${missing.length} nodes without a block (e.g. ${missing.slice(0, 3).join(", ")})`;
  });
}

async function invariants(): Promise<void> {
  expect(ipamViolations(await listPools(rig), await listBlocks(rig))).toEqual([]);
}

async function removeAll(nodes: readonly string[]): Promise<void> {
  await Promise.all(nodes.map((n) => rig.removeNode(n)));
  try {
    await waitFor("all blocks released", 60_000, async () => (await listBlocks(rig)).length === 0);
  } catch (err) {
    // Say why: usually no controller is left running (one that lost its lease exits by design).
    const states = await Promise.all(running.map(async (c) => `${c.identity}: ${c.running ? "running" : c.proc.exitInfo()}\n${await c.logTail(15)}`));
    throw new Error(`${String(err)}\ncontrollers:\n${states.join("\n")}`, { cause: err });
  }
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

beforeAll(async () => {
  rig = await KubeRig.start();
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  await rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name: "main" }, spec: { cidr: "198.18.0.0/16" } }));
});

afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

afterAll(async () => {
  for (const c of running.splice(0)) await c.stop();
  await rig?.stop();
});

test("two controllers racing without leader election never cut overlapping blocks", async () => {
  const a = await startController("race-a", [...fastControllerFlags, "--no-leader-elect"]);
  const b = await startController("race-b", [...fastControllerFlags, "--no-leader-elect"]);
  await Promise.all([a.waitReady(), b.waitReady()]);
  const nodes = names("race", 200);
  await Promise.all(nodes.map((n) => rig.addNode(n)));
  const took = await allServed(nodes, 60_000);
  await invariants();
  const blocks = await listBlocks(rig);
  const conflicts = (await a.metric("petrel_controller_actions_total", { kind: "createBlock", outcome: "exists" })) +
    (await b.metric("petrel_controller_actions_total", { kind: "createBlock", outcome: "exists" }));
  console.log(`racing: 200 nodes served in ${took} ms with ${blocks.length} blocks; ${conflicts} creates lost the race (AlreadyExists)`);
  // Both controllers did work (otherwise this was no race).
  expect(await a.metric("petrel_controller_actions_total", { kind: "createBlock" })).toBeGreaterThan(0);
  expect(await b.metric("petrel_controller_actions_total", { kind: "createBlock" })).toBeGreaterThan(0);
  await removeAll(nodes);
});

test("leader election: one replica acts; kill the leader mid-run and the standby takes over within the lease time", async () => {
  const a = await startController("elect-a");
  await a.waitReady();
  const b = await startController("elect-b");
  await b.waitReady();
  await waitFor("a leader", 10_000, async () => (await a.metric("petrel_controller_is_leader")) + (await b.metric("petrel_controller_is_leader")) === 1);
  const [leader, standby] = (await a.metric("petrel_controller_is_leader")) === 1 ? [a, b] : [b, a];
  const lease = await rig.request("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/petrel-controller");
  expect((lease.body as { spec: { holderIdentity: string } }).spec.holderIdentity).toBe(leader.identity);

  const first = names("elect", 100);
  await Promise.all(first.map((n) => rig.addNode(n)));
  await allServed(first, 30_000);
  // The standby wrote nothing.
  expect(await standby.metric("petrel_controller_api_requests_total", { verb: "create" })).toBe(0);

  // Kill the leader (no chance to release the lease) while more nodes join.
  const second = names("elect2", 100);
  const joining = Promise.all(second.map((n) => rig.addNode(n)));
  await leader.stop("SIGKILL");
  const killedAt = Date.now();
  await joining;
  await waitFor("the standby to lead", 20_000, async () => (await standby.metric("petrel_controller_is_leader")) === 1);
  const takeover = Date.now() - killedAt;
  const took = await allServed([...first, ...second], 60_000);
  console.log(`leader killed: standby led after ${takeover} ms (lease 4 s); all 200 nodes served ${took} ms later`);
  expect(takeover).toBeLessThan(4000 + 2000); // the lease duration plus one retry period and scheduling slack
  await invariants();
  const byNode = blocksByNode(await listBlocks(rig));
  expect(Math.max(...[...byNode.values()].map((b) => b.length))).toBe(1);
  await removeAll([...first, ...second]);
});

test("a clean shutdown hands the lease over at once", async () => {
  const a = await startController("hand-a");
  await a.waitReady();
  await waitFor("a leads", 10_000, async () => (await a.metric("petrel_controller_is_leader")) === 1);
  const b = await startController("hand-b");
  await b.waitReady();
  await a.stop("SIGTERM");
  const stoppedAt = Date.now();
  await waitFor("b leads", 10_000, async () => (await b.metric("petrel_controller_is_leader")) === 1);
  const took = Date.now() - stoppedAt;
  console.log(`released lease taken over in ${took} ms`);
  expect(took).toBeLessThan(2500);
});

test("the API server killed and restarted mid-run: no lost or duplicated work", async () => {
  const c = await startController("restart-a");
  await c.waitReady();
  const first = names("rs", 100);
  await Promise.all(first.map((n) => rig.addNode(n)));
  await allServed(first, 30_000);
  const before = blocksByNode(await listBlocks(rig));
  // Kill the apiserver (SIGKILL) and keep it down for 4 s, longer than the renew deadline (3 s):
  // the controller loses its lease, exits, and must be restarted, as a Deployment would.
  await rig.restartApiserver(4000);
  const second = names("rs2", 100);
  await Promise.all(second.map((n) => rig.addNode(n)));
  let restarts = 0;
  let current = c;
  const took = await waitFor("every node served after the restart", 90_000, async () => {
    if (!current.running) {
      restarts++;
      current = await startController(`restart-${restarts}`);
    }
    const byNode = blocksByNode(await listBlocks(rig), true);
    const missing = [...first, ...second].filter((n) => !byNode.has(n));
    return missing.length === 0 || `${missing.length} nodes without a block`;
  });
  console.log(`apiserver restarted: ${restarts} controller restart(s); all 200 nodes served ${took} ms after it was back`);
  await invariants();
  const after = blocksByNode(await listBlocks(rig));
  // Nothing lost: the first 100 nodes keep exactly the blocks they had; nothing duplicated.
  for (const n of first) expect(after.get(n)).toEqual(before.get(n));
  expect(Math.max(...[...after.values()].map((b) => b.length))).toBe(1);
  await removeAll([...first, ...second]);
});

test("a short API server restart: the same controller reconnects its watches and carries on", async () => {
  // A renew deadline longer than the outage: the controller keeps its lease and must not exit.
  const flags = fastControllerFlags.map((f) =>
    f.startsWith("--leader-elect-lease-duration") ? "--leader-elect-lease-duration=30s" : f.startsWith("--leader-elect-renew-deadline") ? "--leader-elect-renew-deadline=20s" : f);
  const c = await startController("short-a", flags);
  await c.waitReady();
  const first = names("sh", 50);
  await Promise.all(first.map((n) => rig.addNode(n)));
  await allServed(first, 30_000);
  const listsBefore = await c.metric("petrel_controller_api_requests_total", { verb: "list" });
  await rig.restartApiserver(0);
  const second = names("sh2", 50);
  await Promise.all(second.map((n) => rig.addNode(n)));
  const took = await allServed([...first, ...second], 60_000);
  expect(c.running).toBe(true);
  const restarts = await c.metric("petrel_controller_watch_restarts_total");
  const lists = (await c.metric("petrel_controller_api_requests_total", { verb: "list" })) - listsBefore;
  console.log(`short restart: ${restarts} watch restarts, ${lists} re-lists; 50 new nodes served ${took} ms after the apiserver was back`);
  expect(restarts).toBeGreaterThan(0);
  await invariants();
  expect(Math.max(...[...blocksByNode(await listBlocks(rig)).values()].map((b) => b.length))).toBe(1);
  await removeAll([...first, ...second]);
});
