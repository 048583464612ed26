// The races and stale states of issue 12, each as a deterministic sequence on the real plugin:
// locks held by live processes (util-linux flock(1)), an ADD held between its reservation and its
// wiring (the PETREL_TEST_HOLD_BEFORE_WIRE FIFO hook), lock files with a future mtime, records in
// a block the node no longer holds, and records in Petrel 0.1's format.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, lutimesSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { allocationsDir, allocLockName, decodeRecord, gateLockName, lockedCommand } from "../../common/allocation-record.ts";
import { containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { requirePetrelBuilt, type PluginOutcome } from "../support/cni.ts";
import { requireRoot } from "../rig/netns.ts";
import { TestNode } from "../support/node.ts";
import { run } from "../rig/run-process.ts";

let node: TestNode;
const held: ChildProcess[] = [];

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("race");
});
afterAll(() => {
  for (const p of held) {
    try {
      process.kill(-(p.pid as number), "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  node?.destroy();
});

const dir = () => allocationsDir(node.stateDir);
/** A config that takes its blocks from blocks.json, as in a cluster. */
const agentConfig = (extra: Record<string, unknown> = {}) => {
  const c: Record<string, unknown> = node.config({ cniVersion: "1.1.0", ...extra });
  delete c["ipam"];
  return c;
};
function writeBlocks(cidrs: string[]): void {
  const tmp = `${node.stateDir}/.blocks.json.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, node: "race", blocks: cidrs.map((cidr) => ({ cidr, pool: "default" })), updated: new Date().toISOString() }));
  renameSync(tmp, `${node.stateDir}/blocks.json`); // as the agent does: a reader sees one file or the other
}
const ipOf = (r: PluginOutcome) => ((r.json?.["ips"] as Array<{ address: string }> | undefined)?.[0]?.address ?? "").replace("/32", "");

/** A live process holding `file` with flock(1) in `mode`; resolves once it holds it. */
async function holdLock(file: string, mode: "--exclusive" | "--shared" = "--exclusive"): Promise<ChildProcess> {
  mkdirSync(dir(), { recursive: true });
  // Its own process group: flock(1)'s child (the sleep) holds the lock too, and both must die.
  const p = spawn("flock", [mode, file, "sh", "-c", "echo locked; exec sleep 600"], { stdio: ["ignore", "pipe", "inherit"], detached: true });
  held.push(p);
  await new Promise<void>((resolve, reject) => {
    p.stdout?.once("data", () => resolve());
    p.once("exit", (code) => reject(new Error(`flock exited with ${code}`)));
  });
  return p;
}
async function release(p: ChildProcess): Promise<void> {
  const exited = new Promise((r) => p.once("exit", r));
  process.kill(-(p.pid as number), "SIGKILL"); // the kernel drops a flock lock whatever way its holders die
  await exited;
  await sleep(50); // the group's last member (the sleep) may exit just after flock(1)
}
/** Resolves with whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}
function cleanup(ids: string[]): void {
  for (const id of ids) expect(node.plugin({ command: "DEL", config: agentConfig(), containerId: id, ifname: "eth0" }).status).toBe(0);
}

describe("a drain racing an ADD that waits for the lock", () => {
  it("cannot let the ADD allocate in the drained block after the agent counted it empty", async () => {
    const drained = "198.18.40.0/30";
    const replacement = "198.18.41.0/30";
    writeBlocks([drained]);
    const pod = node.newPod();
    // A concurrent ADD (a live process) holds the alloc lock; ours waits for it.
    const holder = await holdLock(join(dir(), allocLockName));
    const add = node.pluginAsync({ command: "ADD", config: agentConfig(), containerId: "drain-race", netns: pod.path, ifname: "eth0" });
    await sleep(300);
    // The agent's side of the drain: a new blocks.json without the block, then the barrier
    // (both locks, exclusively, in the plugin's order), then the count it acknowledges.
    writeBlocks([replacement]);
    const barrier = new Promise<number>((resolve) => {
      const [file, ...args] = lockedCommand(node.stateDir, 20, ["true"]);
      spawn(file as string, args, { stdio: "ignore" }).once("exit", (code) => resolve(code ?? 1));
    });
    expect(await settlesWithin(barrier, 300)).toBe(false); // it waits for the holder too
    await release(holder);
    expect(await barrier).toBe(0);
    const inDrained = [...node.records().keys()].filter((a) => containsAddress(parseCidr(drained), parseAddress(a)));
    expect(inDrained).toEqual([]); // what the agent acknowledges: 0 allocated
    const r = await add;
    expect(r.status).toBe(0);
    expect(containsAddress(parseCidr(replacement), parseAddress(ipOf(r)))).toBe(true);
    expect([...node.records().keys()].filter((a) => containsAddress(parseCidr(drained), parseAddress(a)))).toEqual([]);
    cleanup(["drain-race"]);
  }, 60_000);
});

describe("a GC while an ADD is between its reservation and its wiring", () => {
  it("waits for the ADD, and keeps its record even though the runtime's list lacks it", async () => {
    writeBlocks(["198.18.42.0/29"]);
    const fifo = join(node.stateDir, "hold-before-wire");
    expect(run(["mkfifo", fifo]).status).toBe(0);
    const pod = node.newPod();
    const add = node.pluginAsync({ command: "ADD", config: agentConfig(), containerId: "gc-race", netns: pod.path, ifname: "eth0", env: { PETREL_TEST_HOLD_BEFORE_WIRE: fifo } });
    // The ADD has reserved once its record exists; it now waits on the FIFO, before wiring.
    for (let i = 0; i < 100 && ![...node.records().values()].includes("petrel-test/gc-race/eth0"); i++) await sleep(50);
    expect([...node.records().values()]).toContain("petrel-test/gc-race/eth0");
    const gc = node.pluginAsync({ command: "GC", config: agentConfig({ "cni.dev/valid-attachments": [] }) });
    expect(await settlesWithin(gc, 500)).toBe(false); // GC waits: the ADD holds the gate
    writeFileSync(fifo, "go"); // let the ADD go on
    const [a, g] = await Promise.all([add, gc]);
    expect(a.status).toBe(0);
    expect({ status: g.status, stdout: g.stdout }).toEqual({ status: 0, stdout: "" });
    // Reported to the runtime and kept: it was reserved moments before that GC.
    expect(node.records().get(ipOf(a))).toBe("petrel-test/gc-race/eth0");
    expect(node.veths()).toHaveLength(1);
    // A later GC that still does not list it frees it (veth, route, address).
    node.ageRecords();
    expect(node.plugin({ command: "GC", config: agentConfig({ "cni.dev/valid-attachments": [] }) }).status).toBe(0);
    expect(node.records().size).toBe(0);
    expect(node.veths()).toEqual([]);
    unlinkSync(fifo);
  }, 60_000);
});

describe("locks", () => {
  it("an ADD waits for a live holder and goes on as soon as it dies", async () => {
    writeBlocks(["198.18.43.0/29"]);
    const holder = await holdLock(join(dir(), gateLockName));
    const pod = node.newPod();
    const add = node.pluginAsync({ command: "ADD", config: agentConfig(), containerId: "held", netns: pod.path, ifname: "eth0" });
    expect(await settlesWithin(add, 500)).toBe(false);
    const t0 = Date.now();
    await release(holder);
    const r = await add;
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    cleanup(["held"]);
  }, 60_000);

  it("lock files with an mtime in the future (the clock stepped back) and Petrel 0.1's stale lock never block", () => {
    writeBlocks(["198.18.43.0/29"]);
    const future = new Date(Date.now() + 3600_000);
    for (const name of [allocLockName, gateLockName, ".lock"]) {
      const p = join(dir(), name);
      if (!existsSync(p)) writeFileSync(p, name === ".lock" ? "999999 1" : "");
      utimesSync(p, future, future);
    }
    const pod = node.newPod();
    const t0 = Date.now();
    const r = node.plugin({ command: "ADD", config: agentConfig(), containerId: "future", netns: pod.path, ifname: "eth0" });
    expect(r.json).toMatchObject({ ips: [expect.anything()] });
    expect(Date.now() - t0).toBeLessThan(3000);
    cleanup(["future"]);
  }, 60_000);

  it("a DEL waits for a GC that holds the gate exclusively", async () => {
    const holder = await holdLock(join(dir(), gateLockName), "--exclusive");
    const del = node.pluginAsync({ command: "DEL", config: agentConfig(), containerId: "nothing", ifname: "eth0" });
    expect(await settlesWithin(del, 300)).toBe(false);
    await release(holder);
    expect((await del).status).toBe(0);
  }, 60_000);
});

describe("STATUS with records left in a block the node no longer holds", () => {
  it("is ready: those records use none of the node's addresses", () => {
    writeBlocks(["198.18.44.0/31"]);
    const pods = ["st-a", "st-b"].map((id) => ({ id, pod: node.newPod() }));
    for (const { id, pod } of pods) expect(node.plugin({ command: "ADD", config: agentConfig(), containerId: id, netns: pod.path, ifname: "eth0" }).status).toBe(0);
    expect(node.plugin({ command: "STATUS", config: agentConfig() }).json).toMatchObject({ code: 50 });
    writeBlocks(["198.18.45.0/31"]); // the block was drained; its two pods still run
    const st = node.plugin({ command: "STATUS", config: agentConfig() });
    expect({ status: st.status, stdout: st.stdout }).toEqual({ status: 0, stdout: "" });
    cleanup(pods.map((p) => p.id));
  }, 60_000);
});

describe("records in Petrel 0.1's format", () => {
  it("are rewritten in the current format on first use, and their addresses stay taken", () => {
    const fresh = new TestNode("mig", "192.0.2.3");
    try {
      const adir = allocationsDir(fresh.stateDir);
      mkdirSync(adir, { recursive: true });
      symlinkSync("petrel-test/old-1/eth0", join(adir, "198.18.0.0"));
      symlinkSync("petrel-test/old-2/eth0", join(adir, "198.18.0.1"));
      writeFileSync(join(adir, ".lock"), "999999 1");
      const past = new Date(Date.now() - 3600_000);
      lutimesSync(join(adir, "198.18.0.0"), past, past);
      const pod = fresh.newPod();
      const r = fresh.plugin({ command: "ADD", config: fresh.config(), containerId: "new", netns: pod.path, ifname: "eth0" });
      expect(ipOf(r)).toBe("198.18.0.2");
      for (const [addr, id] of [["198.18.0.0", "old-1"], ["198.18.0.1", "old-2"]] as const) {
        const target = readlinkSync(join(adir, addr));
        expect(target.startsWith("{")).toBe(true);
        expect(decodeRecord(addr, target)).toMatchObject({ format: 2, network: "petrel-test", containerId: id, ifname: "eth0" });
      }
      expect(readFileSync(join(adir, ".format"), "utf8").trim()).toBe("2");
      expect(existsSync(join(adir, ".lock"))).toBe(false);
      expect(fresh.plugin({ command: "DEL", config: fresh.config(), containerId: "new", ifname: "eth0" }).status).toBe(0);
      expect(fresh.plugin({ command: "DEL", config: fresh.config(), containerId: "old-1", ifname: "eth0" }).status).toBe(0);
      expect([...fresh.records().values()]).toEqual(["petrel-test/old-2/eth0"]);
    } finally {
      fresh.destroy();
    }
  }, 60_000);
});
