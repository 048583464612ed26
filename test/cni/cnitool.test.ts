// Interop with the CNI project's own client: cnitool (libcni 1.3, built from the Go module proxy,
// test/rig/cnitool.ts) drives the real plugin through ADD, CHECK, STATUS, DEL and GC on the
// conflist the chart writes (cniVersion 1.0.0 plus cniVersions ["1.0.0","1.1.0"]: libcni 1.2+
// picks 1.1.0, so it sends STATUS and GC), including a GC after a pod's netns is gone and a GC
// without a list (libcni omits cni.dev/valid-attachments when its caller passes none). cnitool
// has no VERSION command; VERSION is checked against the plugin directly. cnitool runs in the
// test node's netns, with libcni's cache kept off the machine (test/rig/cnitool-runner.ts).
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { petrelBinary, requirePetrelBuilt } from "../support/cni.ts";
import { CnitoolRunner } from "../rig/cnitool-runner.ts";
import { requireRoot } from "../rig/netns.ts";
import { TestNode } from "../support/node.ts";
import { type ProcessResult } from "../rig/run-process.ts";

const network = "petrel-cnitool";
let node: TestNode;
let bin = "";
let cnitool: CnitoolRunner | undefined;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("ctool", "192.0.2.4");
  bin = mkdtempSync("/tmp/petrel-cnitool-bin-");
  symlinkSync(petrelBinary, join(bin, "petrel"));
  cnitool = new CnitoolRunner("cnitool", bin, process.env, node.name);
  cnitool.writeConflist({
    cniVersion: "1.0.0",
    cniVersions: ["1.0.0", "1.1.0"],
    name: network,
    plugins: [{ type: "petrel", mtu: 1500, stateDir: node.stateDir, ipam: { blocks: ["198.18.46.0/30"] } }],
  });
}, 300_000);
afterAll(() => {
  node?.destroy();
  cnitool?.cleanup();
  if (bin !== "") rmSync(bin, { recursive: true, force: true });
});

function tool(args: string[], env: Record<string, string> = {}): ProcessResult {
  if (cnitool === undefined) throw new Error("beforeAll did not finish; see its error above");
  return cnitool.run(args, env);
}
const ok = (r: ProcessResult) => ({ status: r.status, stderr: r.stderr.trim() });
/** cnitool's status and gc take a netns argument they do not use (cobra wants two). */
const noNetns = "/var/run/netns/unused";

test("ADD, CHECK, STATUS and DEL through libcni at the version it picks from cniVersions (1.1.0)", () => {
  const pod = node.newPod();
  const add = tool(["add", network, pod.path], { CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=tool-1;K8S_POD_UID=uid-tool-1;IgnoreUnknown=1" });
  expect(ok(add)).toEqual({ status: 0, stderr: "" });
  const result = JSON.parse(add.stdout) as { cniVersion: string; ips: { address: string }[] };
  expect(result.cniVersion).toBe("1.1.0");
  expect(result.ips[0]?.address).toMatch(/^198\.18\.46\.\d\/32$/);
  expect(ok(tool(["check", network, pod.path]))).toEqual({ status: 0, stderr: "" });
  expect(ok(tool(["status", network, noNetns]))).toEqual({ status: 0, stderr: "" });
  expect(ok(tool(["del", network, pod.path]))).toEqual({ status: 0, stderr: "" });
  expect(node.records().size).toBe(0);
  expect(node.veths()).toEqual([]);
  node.ns.remove(pod.name);
});

test("STATUS reports a full node as libcni's error 50", () => {
  const pods = [node.newPod(), node.newPod(), node.newPod(), node.newPod()];
  for (const p of pods) expect(tool(["add", network, p.path]).status).toBe(0);
  const st = tool(["status", network, noNetns]);
  expect(st.status).not.toBe(0);
  expect(st.stderr).toMatch(/petrel cannot serve ADD: all 4 addresses of the node's blocks are in use/);
  for (const p of pods) {
    expect(tool(["del", network, p.path]).status).toBe(0);
    node.ns.remove(p.name);
  }
});

test("GC after a pod's netns is gone, and GC without a list frees what libcni never knew", () => {
  const a = node.newPod();
  const b = node.newPod();
  expect(tool(["add", network, a.path]).status).toBe(0);
  expect(tool(["add", network, b.path]).status).toBe(0);
  // An allocation libcni has no cache entry for: a leak left by another runtime.
  const leak = node.newPod();
  const direct = node.plugin({ command: "ADD", config: { cniVersion: "1.1.0", name: network, type: "petrel", stateDir: node.stateDir, ipam: { blocks: ["198.18.46.0/30"] } }, containerId: "leaked", netns: leak.path, ifname: "eth0" });
  expect(direct.status).toBe(0);
  expect(node.records().size).toBe(3);
  node.ns.remove(b.name); // the runtime lost this pod's netns: its DEL finds nothing to remove but the address
  node.ns.remove(leak.name);
  node.ageRecords(); // GC keeps records reserved in the last minute
  const gc = tool(["gc", network, noNetns]);
  expect(ok(gc)).toEqual({ status: 0, stderr: "" });
  expect(node.records().size).toBe(0);
  expect(node.veths()).toEqual([]);
  expect(node.podRoutes()).toEqual([]);
  node.ns.remove(a.name);
});

test("VERSION lists 1.1.0 (cnitool has no VERSION command)", () => {
  const v = node.plugin({ command: "VERSION", config: { cniVersion: "1.1.0" } });
  expect(v.json).toEqual({ cniVersion: "1.1.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
});
