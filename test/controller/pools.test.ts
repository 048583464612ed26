// Pool rules against a real kube-apiserver: nodeSelector, disabled pools, overlapping pools,
// exhaustion, demand-driven extra blocks with hysteresis, and pool deletion that drains blocks
// without taking anything from running pods. The agent's part (block usage) is written by the
// test through the status subresource, as an agent would.
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { KubeRig } from "../rig/rig.ts";
import { ControllerProcess } from "../support/controller.ts";
import { getBlock, reportBlockUsage } from "../support/fake-agent.ts";
import { getPool, ipamViolations, listBlocks, listPools, waitFor } from "../support/ipam.ts";

jest.setTimeout(180_000);

let rig: KubeRig;
let controller: ControllerProcess;

const pool = (name: string, spec: IPPool["spec"]) => JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name }, spec });
const blocksOf = async (node: string, poolName?: string) =>
  (await listBlocks(rig)).filter((b) => b.spec.node === node && (poolName === undefined || b.spec.pool === poolName));
const condition = async (poolName: string, type: string) => (await getPool(rig, poolName))?.status?.conditions?.find((c) => c.type === type);
async function events(reason: string, name: string): Promise<string[]> {
  const r = await rig.request("GET", `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},reason=${reason}`)}`);
  return (r.body as { items: { message: string }[] }).items.map((e) => e.message);
}

beforeAll(async () => {
  rig = await KubeRig.start();
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  controller = await ControllerProcess.start(rig, "c1");
  await controller.waitReady();
});

afterAll(async () => {
  await controller?.stop();
  await rig?.stop();
});

afterEach(async () => {
  expect(ipamViolations(await listPools(rig), await listBlocks(rig))).toEqual([]);
});

test("nodeSelector picks the nodes; a disabled pool cuts no blocks", async () => {
  await rig.kubectlOk(["apply", "-f", "-"], pool("rack-a", { cidr: "198.18.0.0/22", nodeSelector: { matchLabels: { rack: "a" } } }));
  await rig.kubectlOk(["apply", "-f", "-"], pool("off", { cidr: "198.18.4.0/22", disabled: true }));
  await rig.addNode("sel-a", { rack: "a" });
  await rig.addNode("sel-b", { rack: "b" });
  await waitFor("sel-a's block from rack-a", 15_000, async () => (await blocksOf("sel-a", "rack-a")).length === 1);
  await waitFor("pool status of off", 15_000, async () => (await getPool(rig, "off"))?.status?.blocks === 0);
  expect(await blocksOf("sel-b")).toEqual([]);
  expect(await blocksOf("sel-a", "off")).toEqual([]);
  // Relabelled into the rack: it gets a block too.
  await rig.request("PATCH", "/api/v1/nodes/sel-b", { metadata: { labels: { rack: "a" } } }, "application/merge-patch+json");
  await waitFor("sel-b's block after relabel", 15_000, async () => (await blocksOf("sel-b", "rack-a")).length === 1);
  await rig.removeNode("sel-a");
  await rig.removeNode("sel-b");
  await waitFor("rack-a blocks released", 15_000, async () => (await listBlocks(rig)).length === 0);
  await rig.kubectlOk(["delete", "ippool", "rack-a", "off", "--wait=true", "--timeout=30s"]);
});

test("an overlapping pool gets a condition naming the other pool, an Event, and no blocks", async () => {
  await rig.kubectlOk(["apply", "-f", "-"], pool("first", { cidr: "198.18.8.0/22" }));
  await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has 1 s resolution: make "first" older
  await rig.kubectlOk(["apply", "-f", "-"], pool("second", { cidr: "198.18.10.0/24" }));
  await rig.addNode("ov-1");
  await waitFor("Overlapping on second", 15_000, async () => (await condition("second", "Overlapping"))?.status === "True");
  const c = await condition("second", "Overlapping");
  expect(c?.reason).toBe("OverlapsOlderPool");
  expect(c?.message).toContain("overlaps IPPool first");
  expect((await condition("first", "Overlapping"))?.message).toContain("second");
  await waitFor("ov-1's block from first", 15_000, async () => (await blocksOf("ov-1", "first")).length === 1);
  expect(await blocksOf("ov-1", "second")).toEqual([]);
  await waitFor("an Overlapping Event", 10_000, async () => (await events("Overlapping", "second")).length > 0);
  expect((await events("Overlapping", "second"))[0]).toContain("first");
  await rig.kubectlOk(["delete", "ippool", "second", "--wait=true", "--timeout=30s"]);
  await rig.removeNode("ov-1");
  await waitFor("ov-1 blocks released", 15_000, async () => (await listBlocks(rig)).length === 0);
  await rig.kubectlOk(["delete", "ippool", "first", "--wait=true", "--timeout=30s"]);
});

test("an exhausted pool says so and names the nodes waiting for a block", async () => {
  await rig.kubectlOk(["apply", "-f", "-"], pool("tiny", { cidr: "198.18.12.0/25", blockSize: 26 }));
  await Promise.all(["ex-1", "ex-2", "ex-3"].map((n) => rig.addNode(n)));
  await waitFor("Exhausted on tiny", 15_000, async () => (await condition("tiny", "Exhausted"))?.status === "True");
  expect((await listBlocks(rig)).filter((b) => b.spec.pool === "tiny")).toHaveLength(2);
  const c = await condition("tiny", "Exhausted");
  expect(c?.message).toMatch(/1 node\(s\) wait for one \((ex-[123])\)/);
  expect((await getPool(rig, "tiny"))?.status?.freeBlocks).toBe("0");
  await waitFor("an Exhausted Event", 10_000, async () => (await events("Exhausted", "tiny")).length > 0);
  // A node leaves: the waiting node gets the freed block.
  const holder = (await listBlocks(rig)).find((b) => b.spec.pool === "tiny")?.spec.node ?? "";
  await rig.removeNode(holder);
  await waitFor("all remaining nodes served", 20_000, async () => {
    const nodes = new Set((await listBlocks(rig)).map((b) => b.spec.node));
    return ["ex-1", "ex-2", "ex-3"].filter((n) => n !== holder).every((n) => nodes.has(n));
  });
  for (const n of ["ex-1", "ex-2", "ex-3"]) await rig.removeNode(n);
  await waitFor("tiny blocks released", 15_000, async () => (await listBlocks(rig)).length === 0);
  await rig.kubectlOk(["delete", "ippool", "tiny", "--wait=true", "--timeout=30s"]);
});

test("demand: past the high-water mark a node gets another block; the empty extra returns after the grace period", async () => {
  await rig.kubectlOk(["apply", "-f", "-"], pool("demand", { cidr: "198.18.16.0/22" }));
  await rig.addNode("busy");
  await waitFor("busy's first block", 15_000, async () => (await blocksOf("busy")).length === 1);
  const [first] = await blocksOf("busy");
  if (first === undefined) throw new Error("no block");
  await reportBlockUsage(rig, first, 50); // 50 of 64: below 80%
  await new Promise((r) => setTimeout(r, 1500));
  expect(await blocksOf("busy")).toHaveLength(1);
  await reportBlockUsage(rig, (await getBlock(rig, first.metadata.name)) ?? first, 52); // 81%
  await waitFor("a second block", 15_000, async () => (await blocksOf("busy")).length === 2);
  const extra = (await blocksOf("busy")).find((b) => b.metadata.name !== first.metadata.name) as IPAMBlock;
  await reportBlockUsage(rig, extra, 0);
  // Still busy: without the extra block usage would be 52 of 64, above the low-water mark (50%): it stays.
  await new Promise((r) => setTimeout(r, 2500));
  expect((await getBlock(rig, extra.metadata.name))?.spec.draining).not.toBe(true);
  // Pods end: usage falls to 10, and the empty extra is drained after the release grace period (1 s).
  await reportBlockUsage(rig, (await getBlock(rig, first.metadata.name)) ?? first, 10);
  await waitFor("the extra block to drain", 15_000, async () => (await getBlock(rig, extra.metadata.name))?.spec.draining === true);
  expect((await getBlock(rig, first.metadata.name))?.spec.draining).not.toBe(true);
  // Not deleted until the agent acknowledges the drain for the new generation.
  await new Promise((r) => setTimeout(r, 1500));
  const draining = await getBlock(rig, extra.metadata.name);
  expect(draining).toBeDefined();
  await reportBlockUsage(rig, draining as IPAMBlock, 0);
  await waitFor("the drained block to be deleted", 15_000, async () => (await getBlock(rig, extra.metadata.name)) === undefined);
  expect((await blocksOf("busy")).map((b) => b.metadata.name)).toEqual([first.metadata.name]);
  await rig.removeNode("busy");
  await waitFor("busy's block released", 15_000, async () => (await listBlocks(rig)).length === 0);
  await rig.kubectlOk(["delete", "ippool", "demand", "--wait=true", "--timeout=30s"]);
});

test("a pool deleted while its blocks hold addresses drains them and goes only when they are empty", async () => {
  await rig.kubectlOk(["apply", "-f", "-"], pool("going", { cidr: "198.18.20.0/22" }));
  await rig.addNode("runner");
  await waitFor("runner's block", 15_000, async () => (await blocksOf("runner", "going")).length === 1);
  const [block] = await blocksOf("runner", "going");
  if (block === undefined) throw new Error("no block");
  await reportBlockUsage(rig, block, 3);
  await rig.kubectlOk(["delete", "ippool", "going", "--wait=false"]);
  await waitFor("the block to drain", 15_000, async () => (await getBlock(rig, block.metadata.name))?.spec.draining === true);
  await waitFor("Deleting condition", 10_000, async () => (await condition("going", "Deleting"))?.status === "True");
  expect((await condition("going", "Deleting"))?.message).toContain("1 with addresses in use");
  await new Promise((r) => setTimeout(r, 1500));
  expect(await getPool(rig, "going")).toBeDefined();
  expect(await getBlock(rig, block.metadata.name)).toBeDefined();
  // The pods end; the agent reports the block empty for the draining generation.
  await reportBlockUsage(rig, (await getBlock(rig, block.metadata.name)) as IPAMBlock, 0);
  await waitFor("pool and block gone", 15_000, async () => (await getPool(rig, "going")) === undefined && (await getBlock(rig, block.metadata.name)) === undefined);
  await rig.removeNode("runner");
});
