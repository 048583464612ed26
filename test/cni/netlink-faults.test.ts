// Kernel errors and vanishing namespaces in the middle of ADD: each must leave nothing behind
// (no veth, no host route, no allocation, no interface in the pod) and a clear error. Faults are
// real where the kernel can be made to refuse (a name taken by another device, a route that
// exists) and injected with strace where it cannot on demand (a failing netlink send at each
// step; the pod's netns deleted while ADD is paused at a chosen system call).
import { spawn } from "node:child_process";
import { petrelBinary, pluginEnv, requirePetrelBuilt, type PluginCall, type PluginOutcome } from "../support/cni.ts";
import { linkExists, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun, hostTool } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";
import { must, run } from "../rig/run-process.ts";
import { hostVethName, retiredVethName } from "../../cni-plugin/veth-name.ts";

let node: TestNode;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  if (run([hostTool("strace"), "-V"]).status !== 0) throw new Error("strace is missing: apt-get install strace");
  node = new TestNode("faults");
});
afterAll(() => node?.destroy());

/** Runs the plugin in the node's netns under strace with `straceArgs` (fault injection). */
function underStrace(call: PluginCall, straceArgs: string[]): { done: Promise<PluginOutcome>; pid: () => number | undefined } {
  const child = spawn(hostTool("ip"), ["netns", "exec", node.name, hostTool("strace"), "-f", "-o", "/dev/null", ...straceArgs, petrelBinary],
    { env: pluginEnv(call) as NodeJS.ProcessEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(JSON.stringify(call.config));
  const done = new Promise<PluginOutcome>((resolve) => child.on("close", (code) => {
    const text = stdout.trim();
    resolve({ status: code ?? 1, stdout, stderr, json: text === "" ? undefined : JSON.parse(text) as Record<string, unknown> });
  }));
  return { done, pid: () => child.pid };
}

/** Nothing of the attachment is left: no veth (not even a retired one), no pod route, no record, no eth0 in the pod. */
function expectNothingLeft(containerId: string, podNs: string | undefined): void {
  const veth = hostVethName("petrel-test", containerId, "eth0");
  expect(linkExists(veth, node.name)).toBe(false);
  expect(linkExists(retiredVethName(veth), node.name)).toBe(false);
  expect(node.podRoutes()).toEqual([]);
  expect([...node.records().values()].filter((o) => o.includes(`/${containerId}/`))).toEqual([]);
  if (podNs !== undefined) expect(linkExists("eth0", podNs)).toBe(false);
}

const add = (containerId: string, netns: string): PluginCall => ({ command: "ADD", config: node.config(), containerId, netns, ifname: "eth0" });

describe("the kernel refuses a step of ADD", () => {
  // A bridge (another kind) and a veth that is not Petrel's (another MAC, its peer elsewhere).
  it.each([["bridge", ["type", "bridge"]], ["foreign veth", ["type", "veth", "peer", "name", "ptlforeignpeer"]]])("a host veth name held by a %s: refused, the device left alone, all rolled back", (_kind, type) => {
    const pod = node.newPod();
    const name = hostVethName("petrel-test", "taken", "eth0");
    must(["ip", "-n", node.name, "link", "add", name, ...type]);
    try {
      const r = node.plugin(add("taken", pod.path));
      expect(r.json).toMatchObject({
        code: 101,
        msg: `cannot wire eth0 in ${pod.path}: veth ${name}: File exists (an interface of that name exists and is not this pod's veth; it was left alone)`,
      });
      expect(linkExists(name, node.name)).toBe(true); // the other device is untouched
      expect(node.records().size).toBe(0);
      expect(linkExists("eth0", pod.name)).toBe(false);
    } finally {
      must(["ip", "-n", node.name, "link", "del", name]);
    }
  });

  it("a pod default route that exists already: the pair, host route and address are undone", () => {
    const pod = node.newPod();
    must(["ip", "-n", pod.name, "route", "add", "default", "dev", "lo"]);
    const r = node.plugin(add("has-default", pod.path));
    expect(r.json).toMatchObject({ code: 101, msg: `cannot wire eth0 in ${pod.path}: default route via 169.254.1.1 dev eth0 in ${pod.path}: File exists` });
    expectNothingLeft("has-default", pod.name);
  });

  // ADD sends, for an IPv4 pod: create pair, look up host veth, host route, look up eth0,
  // address, link up, gateway route, default route. Fail each in turn (the kernel never sees it).
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("netlink send %i fails: everything done before it is undone", async (n) => {
    const pod = node.newPod();
    const id = `sendfail-${n}`;
    const r = await underStrace(add(id, pod.path), ["-e", "trace=sendto", "-e", `inject=sendto:error=ENOBUFS:when=${n}`]).done;
    expect(r.json).toMatchObject({ code: 101, msg: expect.stringMatching(/^cannot wire eth0 in .*: .*: No buffer space available/) });
    expectNothingLeft(id, pod.name);
  });

  it("there is no ninth send: with it failing, ADD succeeds (so the sweep above covered every step)", async () => {
    const pod = node.newPod();
    const r = await underStrace(add("sendfail-9", pod.path), ["-e", "trace=sendto", "-e", "inject=sendto:error=ENOBUFS:when=9"]).done;
    expect(r.status).toBe(0);
    expect(node.plugin({ ...add("sendfail-9", pod.path), command: "DEL" }).status).toBe(0);
  });
});

describe("the pod's netns is deleted during ADD", () => {
  it("between the check and the wiring: ADD fails, the address is free again", async () => {
    const pod = node.newPod();
    // Pause the plugin at its open(2) of the netns for 1.5 s, and delete the netns meanwhile.
    const run = underStrace(add("ns-gone-early", pod.path), ["-e", "trace=openat", "-P", pod.path, "-e", "inject=openat:delay_enter=1500000"]);
    await new Promise((r) => setTimeout(r, 700));
    node.ns.remove(pod.name);
    const r = await run.done;
    expect(r.json).toMatchObject({ code: 101, msg: expect.stringContaining(`netns ${pod.path} disappeared before the wiring`) });
    expectNothingLeft("ns-gone-early", undefined);
  });

  it("while the pair is being wired: ADD notices, undoes the host side and frees the address", async () => {
    const pod = node.newPod();
    // Pause at the first setns(2) (into the pod's netns, holding its fd) and delete the netns then.
    const run = underStrace(add("ns-gone-late", pod.path), ["-e", "trace=setns", "-e", "inject=setns:delay_enter=1500000:when=1"]);
    await new Promise((r) => setTimeout(r, 700));
    node.ns.remove(pod.name);
    const r = await run.done;
    expect(r.json).toMatchObject({ code: 101, msg: expect.stringContaining(`netns ${pod.path} was deleted while ADD wired it`) });
    expectNothingLeft("ns-gone-late", undefined);
  });
});

test("the plugin ran no ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
