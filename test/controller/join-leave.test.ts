// The controller against a real kube-apiserver: 200 Nodes join at once and each gets its block
// and PetrelNode; the IPAM invariants hold; `kubectl get ippools` shows the pool's columns; 100
// Nodes leave and their blocks return to the pool after the node grace period (drained, then
// abandoned: no agent runs here), through the IPAMBlock protection policy; a departed node whose
// "agent" keeps heartbeating keeps its block; the policy refuses deleting or relabelling a block in use.
import { KubeRig } from "../rig/rig.ts";
import { ControllerProcess } from "../support/controller.ts";
import { blocksByNode, getPool, ipamViolations, listBlocks, listPetrelNodes, listPools, waitFor } from "../support/ipam.ts";

jest.setTimeout(300_000);

let rig: KubeRig;
let controller: ControllerProcess;
const nodes = Array.from({ length: 200 }, (_, i) => `node-${String(i).padStart(3, "0")}`);

beforeAll(async () => {
  rig = await KubeRig.start();
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  // As the chart's admission.blockProtection renders them: the labels policy keeps petrel.dev/node.
  await rig.kubectlOk(["apply", "-f", "crds/admission/ipamblock-protection.yaml"]);
  await rig.kubectlOk(["apply", "-f", "crds/admission/ipamblock-labels.yaml"]);
  await rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "petrel.dev/v1alpha1",
    kind: "IPPool",
    metadata: { name: "main" },
    spec: { cidr: "198.18.0.0/16" },
  }));
  controller = await ControllerProcess.start(rig, "c1");
  await controller.waitReady();
});

afterAll(async () => {
  await controller?.stop();
  await rig?.stop();
});

test("200 nodes added at once each get one block and a PetrelNode, with no overlap", async () => {
  const started = Date.now();
  await Promise.all(nodes.map((n) => rig.addNode(n)));
  const added = Date.now() - started;
  const took = await waitFor("every node to hold a block", 60_000, async () => {
    const byNode = blocksByNode(await listBlocks(rig));
    const missing = nodes.filter((n) => !byNode.has(n));
    return missing.length === 0 || `${missing.length} nodes without a block`;
  });
  console.log(`200 nodes created in ${added} ms; all held a block ${took} ms later`);
  const blocks = await listBlocks(rig);
  expect(blocks).toHaveLength(200);
  const counts = [...blocksByNode(blocks).values()].map((b) => b.length);
  expect(Math.max(...counts)).toBe(1);
  expect(ipamViolations(await listPools(rig), blocks)).toEqual([]);
  const petrelNodes = await listPetrelNodes(rig);
  expect(petrelNodes.map((p) => p.metadata.name).sort()).toEqual(nodes);
  // No owner reference: the PetrelNode (the agent's heartbeat) must outlive a deleted Node while its agent runs.
  expect(petrelNodes[0]?.metadata.ownerReferences).toBeUndefined();
  // Within a second (the status interval) the pool's status counts them.
  await waitFor("pool status to count 200 blocks", 10_000, async () => (await getPool(rig, "main"))?.status?.blocks === 200);
  const status = (await getPool(rig, "main"))?.status;
  expect(status).toMatchObject({ blockSize: 26, blocks: 200, freeBlocks: "824", blockAddresses: 200 * 64, usedAddresses: 0 });
  expect(status?.conditions?.find((c) => c.type === "Overlapping")?.status).toBe("False");
  expect(status?.conditions?.find((c) => c.type === "Exhausted")?.status).toBe("False");
  expect((await getPool(rig, "main"))?.metadata.finalizers).toContain("petrel.dev/ipam-blocks");
});

test("kubectl get ippools shows CIDR, block size, blocks, used, disabled and age", async () => {
  const out = await rig.kubectlOk(["get", "ippools"]);
  const [header, row] = out.trim().split("\n");
  expect(header?.split(/\s{2,}/)).toEqual(["NAME", "CIDR", "BLOCK SIZE", "BLOCKS", "USED", "DISABLED", "AGE"]);
  const cells = row?.split(/\s+/) ?? [];
  expect(cells.slice(0, 6)).toEqual(["main", "198.18.0.0/16", "26", "200", "0", "false"]);
  expect(cells[6]).toMatch(/^\d+[sm]/);
  // The short name and the category list the same pool.
  expect(await rig.kubectlOk(["get", "ipp", "-o", "name"])).toContain("ippool.petrel.dev/main");
  expect(await rig.kubectlOk(["get", "petrel", "-o", "name"])).toContain("ippool.petrel.dev/main");
});

test("the protection policy refuses deleting or relabelling a block that is not drained, saying how to drain it", async () => {
  const b = (await listBlocks(rig)).find((x) => x.spec.node === nodes[199]);
  const name = b?.metadata.name ?? "";
  const del = await rig.kubectl(["delete", "ipamblock", name]);
  expect(del.status).not.toBe(0);
  expect(del.stderr).toContain(`IPAMBlock ${name} (${b?.spec.cidr ?? ""}, node ${nodes[199] ?? ""}) is in use or not drained`);
  expect(del.stderr).toContain(`kubectl patch ipamblock ${name} --type merge -p '{"spec":{"draining":true}}'`);
  const relabel = await rig.kubectl(["label", "--overwrite", "ipamblock", name, "petrel.dev/node=someone-else"]);
  expect(relabel.status).not.toBe(0);
  expect(relabel.stderr).toContain("the label petrel.dev/node must be the block's spec.node");
  expect((await listBlocks(rig)).find((x) => x.metadata.name === name)?.metadata.labels?.["petrel.dev/node"]).toBe(nodes[199]);
});

test("100 nodes leave: after the grace period their blocks and PetrelNodes are gone, the rest stay; one whose agent heartbeats keeps its block", async () => {
  const leaving = nodes.slice(0, 100);
  const heartbeating = nodes[100] ?? "";
  const staying = nodes.slice(100);
  const before = blocksByNode(await listBlocks(rig));
  // An agent that still runs on a node whose Node object is deleted keeps writing its heartbeat.
  let beating = true;
  const beat = (async () => {
    while (beating) {
      await rig.request("PATCH", `/apis/petrel.dev/v1alpha1/petrelnodes/${heartbeating}/status`, { status: { lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") } }, "application/merge-patch+json");
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  await Promise.all([...leaving, heartbeating].map((n) => rig.removeNode(n)));
  // The grace period (2 s in tests) must hold first: right after removal the blocks are still there.
  expect((await listBlocks(rig)).length).toBe(200);
  const took = await waitFor("departed nodes' blocks to return", 30_000, async () => {
    const left = (await listBlocks(rig)).filter((b) => leaving.includes(b.spec.node)).length;
    return left === 0 || `${left} blocks of departed nodes remain`;
  });
  console.log(`blocks of 100 departed nodes returned ${took} ms after removal (grace period 2 s)`);
  // The heartbeating node's block is drained (no pod can take an address from it), not deleted.
  await new Promise((r) => setTimeout(r, 3000));
  const after = blocksByNode(await listBlocks(rig));
  for (const n of staying) expect(after.get(n)).toEqual(before.get(n));
  expect((await listBlocks(rig)).find((b) => b.spec.node === heartbeating)?.spec.draining).toBe(true);
  expect((await listPetrelNodes(rig)).map((p) => p.metadata.name).sort()).toEqual(staying);
  beating = false;
  await beat;
  await rig.addNode(heartbeating);
  // The returning node keeps its drained block (never active again) and gets a new one beside it.
  await waitFor("pool status to count 101 blocks", 10_000, async () => (await getPool(rig, "main"))?.status?.blocks === 101);
});

test("a node that comes back within the grace period keeps its block", async () => {
  const node = nodes[150] ?? "";
  const before = blocksByNode(await listBlocks(rig)).get(node);
  await rig.removeNode(node);
  await rig.addNode(node);
  await new Promise((r) => setTimeout(r, 3000));
  expect(blocksByNode(await listBlocks(rig)).get(node)).toEqual(before);
});
