// Bad node state, as an operator's hand or a full disk leaves it: a hand-edited blocks.json
// (truncated, wrong types, overlapping blocks), entries in allocations/ that are not records, and
// a state directory on a full filesystem. The plugin answers with the right CNI error and a
// message naming the file, and changes nothing else.
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requirePetrelBuilt } from "../support/cni.ts";
import { requireRoot } from "../rig/netns.ts";
import { TestNode } from "../support/node.ts";
import { must, run } from "../rig/run-process.ts";

let node: TestNode;
beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("badst", "192.0.2.5");
});
afterAll(() => node?.destroy());

const fromAgent = (stateDir: string) => ({ cniVersion: "1.1.0", name: "petrel-test", type: "petrel", stateDir });
const blocksFile = () => join(node.stateDir, "blocks.json");

describe.each([
  ["truncated", '{"version":1,"node":"n","blocks":[{"cidr":"198.18.47.0/2', /blocks.json: is not valid JSON; the Petrel agent rewrites it on its next pass/],
  ["of the wrong types", '{"version":1,"node":"n","blocks":[{"cidr":26,"pool":"p"}]}', /blocks.json: blocks\[0\]\.cidr: expected a CIDR string such as "198.18.0.0\/26", got 26/],
  ["with a block that is not an object", '{"version":1,"node":"n","blocks":["198.18.47.0/26"]}', /blocks.json: blocks\[0\]: expected \{"cidr":…,"pool":…\}/],
  ["with overlapping blocks", '{"version":1,"node":"n","blocks":[{"cidr":"198.18.47.0/24","pool":"p"},{"cidr":"198.18.47.64/26","pool":"p"}]}', /blocks.json: blocks\[1\]\.cidr: 198.18.47.64\/26 overlaps blocks\[0\] \(198.18.47.0\/24\)/],
])("a blocks.json %s", (_what, text, msg) => {
  it("fails ADD with 102 naming the file, and STATUS with 50; nothing is allocated or wired", () => {
    writeFileSync(blocksFile(), text);
    const pod = node.newPod();
    const r = node.plugin({ command: "ADD", config: fromAgent(node.stateDir), containerId: "bad-blocks", netns: pod.path, ifname: "eth0" });
    expect(r.status).not.toBe(0);
    expect(r.json).toMatchObject({ code: 102, msg: expect.stringMatching(msg) });
    expect((r.json?.["msg"] as string).startsWith(blocksFile())).toBe(true);
    const st = node.plugin({ command: "STATUS", config: fromAgent(node.stateDir) });
    expect(st.json).toMatchObject({ code: 50, msg: expect.stringContaining(blocksFile()) });
    expect(node.records().size).toBe(0);
    expect(node.veths()).toEqual([]);
    node.ns.remove(pod.name);
  });
});

describe("entries in allocations/ that are not records", () => {
  it("keep their address taken and are left as they are", () => {
    writeFileSync(blocksFile(), JSON.stringify({ version: 1, node: "n", blocks: [{ cidr: "198.18.47.0/30", pool: "p" }], updated: new Date().toISOString() }));
    const dir = join(node.stateDir, "allocations");
    mkdirSync(dir, { recursive: true });
    symlinkSync("nowhere", join(dir, "198.18.47.0")); // a record pointing nowhere
    symlinkSync("petrel-test/x/eth0", join(dir, "junk")); // not named after an address
    const pod = node.newPod();
    const r = node.plugin({ command: "ADD", config: fromAgent(node.stateDir), containerId: "beside-junk", netns: pod.path, ifname: "eth0" });
    expect(r.status).toBe(0);
    expect(JSON.stringify(r.json)).toContain("198.18.47.1/32");
    expect(readlinkSync(join(dir, "198.18.47.0"))).toBe("nowhere");
    expect(readlinkSync(join(dir, "junk"))).toBe("petrel-test/x/eth0");
    node.ageRecords();
    // GC does not touch them either: they are nobody's attachment.
    expect(node.plugin({ command: "GC", config: { ...fromAgent(node.stateDir), "cni.dev/valid-attachments": [] } }).status).toBe(0);
    expect(readdirSync(dir).filter((n) => !n.startsWith(".")).sort()).toEqual(["198.18.47.0", "junk"]);
    rmSync(join(dir, "198.18.47.0"));
    rmSync(join(dir, "junk"));
    node.ns.remove(pod.name);
  });
});

describe("a state directory on a full filesystem", () => {
  const mnt = mkdtempSync("/tmp/petrel-full-");
  afterAll(() => {
    run(["umount", mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it("fails ADD with 102 naming the directory and what ran out, and leaves no veth", () => {
    must(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "petrel-test-full", mnt]);
    writeFileSync(join(mnt, "blocks.json"), JSON.stringify({ version: 1, node: "n", blocks: [{ cidr: "198.18.48.0/29", pool: "p" }], updated: new Date().toISOString() }));
    // A pod wired first, so the locks and the format marker exist, as on a node in service.
    const first = node.newPod();
    expect(node.plugin({ command: "ADD", config: fromAgent(mnt), containerId: "before-full", netns: first.path, ifname: "eth0" }).status).toBe(0);
    // Fill it: the inodes, then the blocks.
    for (let i = 0; run(["touch", join(mnt, `fill-${i}`)]).status === 0 && i < 1000; i++);
    run(["dd", "if=/dev/zero", `of=${join(mnt, "fill-0")}`, "bs=4k", "count=1000"]);
    const before = readdirSync(join(mnt, "allocations")).sort();
    const pod = node.newPod();
    const r = node.plugin({ command: "ADD", config: fromAgent(mnt), containerId: "on-full", netns: pod.path, ifname: "eth0" });
    expect(r.status).not.toBe(0);
    expect(r.json).toMatchObject({ code: 102, msg: expect.stringMatching(new RegExp(`^cannot record an allocation in ${mnt}/allocations: ENOSPC`)) });
    expect(readdirSync(join(mnt, "allocations")).sort()).toEqual(before);
    expect(node.veths()).toHaveLength(1); // the earlier pod's, untouched
    expect(node.podRoutes()).toHaveLength(1);
    // DEL still works on the full filesystem.
    expect(node.plugin({ command: "DEL", config: fromAgent(mnt), containerId: "before-full", ifname: "eth0" }).status).toBe(0);
    expect(readdirSync(join(mnt, "allocations")).filter((n) => !n.startsWith("."))).toEqual([]);
    expect(node.veths()).toEqual([]);
    node.ns.remove(pod.name);
    node.ns.remove(first.name);
  });
});
