// Many ADDs at once, and ADDs killed at random points: no address is ever handed out twice,
// and after DEL or GC nothing is left behind.
import { spawn } from "node:child_process";
import { petrelBinary, pluginEnv, requirePetrelBuilt } from "../support/cni.ts";
import { ipJson, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun, hostTool } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";

let node: TestNode;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("conc");
});
afterAll(() => node?.destroy());

const config = () => node.config({ ipam: { blocks: ["198.18.0.0/24", "198.18.1.0/26"] } });

function podAddress(podNs: string): string | undefined {
  const links = ipJson<Array<{ addr_info?: Array<{ family: string; local: string }> }>>(podNs, ["addr", "show", "dev", "eth0"]);
  return links[0]?.addr_info?.find((a) => a.family === "inet")?.local;
}

describe("200 ADDs in parallel", () => {
  const count = 200;
  const pods: Array<{ id: string; name: string; path: string }> = [];

  afterAll(() => {
    for (const p of pods) node.ns.remove(p.name);
  });

  it("give 200 distinct addresses, each matching its pod's eth0", async () => {
    for (let i = 0; i < count; i++) pods.push({ id: `par-${i}`, ...node.newPod() });
    const results = await Promise.all(pods.map((p) =>
      node.pluginAsync({ command: "ADD", config: config(), containerId: p.id, netns: p.path, ifname: "eth0" })));
    const failures = results.filter((r) => r.status !== 0).map((r) => r.stdout);
    expect(failures).toEqual([]);
    const addresses = results.map((r) => ((r.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", ""));
    expect(new Set(addresses).size).toBe(count);
    expect(node.records().size).toBe(count);
    pods.forEach((p, i) => expect(podAddress(p.name)).toBe(addresses[i]));
    expect(node.veths()).toHaveLength(count);
    expect(node.podRoutes()).toHaveLength(count);
  }, 180_000);

  it("and 200 DELs in parallel leave no allocation, veth or route", async () => {
    const results = await Promise.all(pods.map((p) =>
      node.pluginAsync({ command: "DEL", config: config(), containerId: p.id, netns: p.path, ifname: "eth0" })));
    expect(results.filter((r) => r.status !== 0).map((r) => r.stdout)).toEqual([]);
    expect(node.records().size).toBe(0);
    expect(node.veths()).toEqual([]);
    expect(node.podRoutes()).toEqual([]);
  }, 180_000);
});

/** Starts an ADD and SIGKILLs it after `delayMs`; resolves with whether it had finished. */
function addKilledAfter(id: string, netns: string, delayMs: number): Promise<{ id: string; completed: boolean }> {
  return new Promise((resolve) => {
    const env = pluginEnv({ command: "ADD", config: {}, containerId: id, netns, ifname: "eth0" });
    // Run the plugin itself inside the node netns (nsenter execs it: the pid we kill is petrel's).
    const child = spawn(hostTool("nsenter"), [`--net=/var/run/netns/${node.name}`, petrelBinary], { env: env as NodeJS.ProcessEnv });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ id, completed: code === 0 && stdout.includes('"ips"') });
    });
    child.stdin.end(JSON.stringify(config()));
  });
}

describe("ADDs killed at random points", () => {
  it("leave, after GC, exactly the completed attachments, with distinct addresses and no leaked veth", async () => {
    const rounds = 40;
    const pods: Array<{ id: string; name: string; path: string }> = [];
    for (let i = 0; i < rounds; i++) pods.push({ id: `kill-${i}`, ...node.newPod() });
    // Calibrate: how long one whole ADD takes here, so kills land all along its path.
    const probe = node.newPod();
    const t0 = performance.now();
    const probeRun = await addKilledAfter("kill-probe", probe.path, 60_000);
    const addMs = performance.now() - t0;
    expect(probeRun.completed).toBe(true);
    const outcomes: Array<{ id: string; completed: boolean }> = [probeRun];
    pods.push({ id: "kill-probe", ...probe });
    // Four at a time: three killed at a random point between start-up and a little past the
    // calibrated end, one left to finish (so the survivors are known to exist even when load
    // on the machine stretches every ADD beyond the calibration).
    for (let i = 0; i < rounds; i += 4) {
      const batch = pods.slice(i, Math.min(i + 4, rounds));
      outcomes.push(...await Promise.all(batch.map((p, j) =>
        addKilledAfter(p.id, p.path, j === 3 ? 60_000 : Math.random() * addMs * 1.3))));
    }
    const completed = outcomes.filter((o) => o.completed).map((o) => o.id);
    const killed = outcomes.length - completed.length;
    // Otherwise the test proved nothing: some runs must die part-way, some must finish.
    expect(killed).toBeGreaterThan(0);
    expect(completed.length).toBeGreaterThan(1);

    node.ageRecords(); // GC keeps records made in the last minute
    const gc = node.plugin({
      command: "GC",
      config: { ...config(), cniVersion: "1.1.0", "cni.dev/valid-attachments": completed.map((id) => ({ containerID: id, ifname: "eth0" })) },
    });
    expect({ status: gc.status, stdout: gc.stdout }).toEqual({ status: 0, stdout: "" });

    const owners = [...node.records().values()].map((o) => o.split("/")[1]).sort();
    expect(owners).toEqual([...completed].sort());
    expect(node.veths()).toHaveLength(completed.length);
    expect(node.podRoutes()).toHaveLength(completed.length);
    const podAddrs = pods.filter((p) => completed.includes(p.id)).map((p) => podAddress(p.name));
    expect(new Set(podAddrs).size).toBe(completed.length);
    for (const [addr, owner] of node.records()) {
      const pod = pods.find((p) => p.id === owner.split("/")[1]);
      expect(podAddress(pod?.name ?? "")).toBe(addr);
    }

    // The lock a killed holder may have left behind does not block the next ADD.
    const next = node.newPod();
    const after = node.plugin({ command: "ADD", config: config(), containerId: "after-kills", netns: next.path, ifname: "eth0" });
    expect(after.status).toBe(0);
    const addr = ((after.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
    expect(podAddrs).not.toContain(addr);

    // Clean up through the plugin itself: DEL of everything, then nothing may remain.
    for (const id of [...completed, "after-kills"]) {
      expect(node.plugin({ command: "DEL", config: config(), containerId: id, ifname: "eth0" }).status).toBe(0);
    }
    expect(node.records().size).toBe(0);
    expect(node.veths()).toEqual([]);
    for (const p of [...pods, next]) node.ns.remove(p.name);
    console.log(`kill test: one ADD takes ${addMs.toFixed(0)} ms; ${completed.length} ADDs completed, ${killed} killed part-way`);
  }, 180_000);
});

test("the plugin ran no ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
