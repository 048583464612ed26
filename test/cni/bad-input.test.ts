// Bad input from the runtime or the operator: the right CNI error code, a message that names the
// field and the fix, exactly one JSON document on stdout, and nothing left behind.
import { requirePetrelBuilt } from "../support/cni.ts";
import { requireRoot } from "../rig/netns.ts";
import { assertNoIpRun } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";

let node: TestNode;
let pod: { name: string; path: string };

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("bad");
  pod = node.newPod();
});
afterAll(() => node?.destroy());

afterEach(() => {
  // Whatever failed must have changed nothing.
  expect(node.records().size).toBe(0);
  expect(node.veths()).toEqual([]);
  expect(node.podRoutes()).toEqual([]);
});

interface Case {
  name: string;
  config?: Record<string, unknown> | string;
  env?: Record<string, string | undefined>;
  netns?: string;
  ifname?: string;
  code: number;
  msg: RegExp;
}

const cases: Case[] = [
  { name: "malformed JSON", config: '{"cniVersion": "1.0.0", "name": ', code: 6, msg: /network config on stdin is not valid JSON/ },
  { name: "JSON that is not an object", config: "[]", code: 6, msg: /must be a JSON object/ },
  { name: "unknown cniVersion", config: { cniVersion: "7.0.0" }, code: 1, msg: /cniVersion "7.0.0" is not supported/ },
  { name: "mtu of the wrong type", config: { mtu: "9000" }, code: 7, msg: /mtu: must be an integer from 576 to 65535, got "9000"/ },
  { name: "blocks of the wrong type", config: { ipam: { blocks: "198.18.0.0/26" } }, code: 7, msg: /ipam.blocks: must be a non-empty list/ },
  { name: "a block that is not a CIDR", config: { ipam: { blocks: ["198.18.0.0/26", "nonsense"] } }, code: 7, msg: /ipam.blocks\[1\]: "nonsense" has no prefix length/ },
  { name: "another IPAM type", config: { ipam: { type: "host-local" } }, code: 7, msg: /ipam.type: Petrel allocates addresses itself/ },
  { name: "a missing network name", config: { name: undefined }, code: 7, msg: /name: must be a network name/ },
  { name: "no CNI_COMMAND", env: { CNI_COMMAND: undefined }, code: 4, msg: /CNI_COMMAND: is not set/ },
  { name: "an unknown CNI_COMMAND", env: { CNI_COMMAND: "ATTACH" }, code: 4, msg: /CNI_COMMAND: "ATTACH" is not a CNI command/ },
  { name: "no CNI_CONTAINERID", env: { CNI_CONTAINERID: undefined }, code: 4, msg: /CNI_CONTAINERID: is required for ADD/ },
  { name: "a bad CNI_CONTAINERID", env: { CNI_CONTAINERID: "../etc" }, code: 4, msg: /CNI_CONTAINERID: "..\/etc" is not a valid container ID/ },
  { name: "a relative CNI_NETNS", netns: "netns/x", code: 4, msg: /CNI_NETNS: "netns\/x" is not an absolute path/ },
  { name: "a netns path that does not exist", netns: "/var/run/netns/ptl-does-not-exist", code: 4, msg: /CNI_NETNS: "\/var\/run\/netns\/ptl-does-not-exist" does not exist or is not a network namespace/ },
  { name: "a netns path that is not a netns", netns: "/etc/hostname", code: 4, msg: /is not a network namespace/ },
  { name: "an interface name that is too long", ifname: "eth0-is-too-long", code: 4, msg: /CNI_IFNAME: "eth0-is-too-long" is 16 characters long; Linux interface names have at most 15/ },
  { name: "GC on a 1.0.0 config", config: { cniVersion: "1.0.0" }, env: { CNI_COMMAND: "GC" }, code: 1, msg: /GC needs cniVersion 1.1.0 or later/ },
];

describe.each(cases)("ADD with $name", (c) => {
  it(`fails with code ${c.code} and a clear message`, () => {
    const config = typeof c.config === "string" ? c.config : { ...node.config(), ...c.config };
    const r = node.plugin({ command: "ADD", config, containerId: "bad-1", netns: c.netns ?? pod.path, ifname: c.ifname ?? "eth0", env: c.env });
    expect(r.status).not.toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.json).toMatchObject({ code: c.code, msg: expect.stringMatching(c.msg) });
    expect(typeof r.json?.["cniVersion"]).toBe("string");
  });
});

describe("a pod interface that already exists", () => {
  it("fails ADD with a dataplane error and rolls back veth and address", () => {
    const busy = node.newPod();
    const taken = node.plugin({ command: "ADD", config: node.config(), containerId: "first", netns: busy.path, ifname: "eth0" });
    expect(taken.status).toBe(0);
    // A second attachment into the same netns with the same ifname cannot create eth0 there.
    const clash = node.plugin({ command: "ADD", config: node.config(), containerId: "second", netns: busy.path, ifname: "eth0" });
    expect(clash.status).not.toBe(0);
    expect(clash.json).toMatchObject({ code: 101, msg: `cannot wire eth0 in ${busy.path}: interface eth0 in ${busy.path}: File exists (the pod's namespace already has an interface of that name)` });
    expect([...node.records().values()]).toEqual(["petrel-test/first/eth0"]);
    expect(node.veths()).toHaveLength(1);
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "first", netns: busy.path, ifname: "eth0" }).status).toBe(0);
  });
});

describe("a full node", () => {
  it("answers code 100 naming the full blocks, without hanging", () => {
    const tiny = node.config({ ipam: { blocks: ["198.18.3.0/32"] } });
    const a = node.newPod();
    const b = node.newPod();
    expect(node.plugin({ command: "ADD", config: tiny, containerId: "full-a", netns: a.path, ifname: "eth0" }).status).toBe(0);
    const r = node.plugin({ command: "ADD", config: tiny, containerId: "full-b", netns: b.path, ifname: "eth0" });
    expect(r.json).toMatchObject({ code: 100, msg: "no free IPv4 address on this node: every block is full: 198.18.3.0/32 (1 of 1 in use)" });
    expect(node.plugin({ command: "DEL", config: tiny, containerId: "full-a", netns: a.path, ifname: "eth0" }).status).toBe(0);
  });
});

test("no plugin ran ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
