// The README's demo command, end to end: `npm run demo -- once` (test/scripts/demo.sh once) on
// three real kubelet nodes with Petrel installed by helm, as an operator would run it. Asserted:
// exit status 0, a complete ping matrix (every pod pair answered, pods on every node, addresses
// from Petrel's pool), `petrelctl ipam check` exit 0 cluster-wide and on each node, and nothing
// left behind (namespaces and host link named after the demo's pid, the pid file).
//
// Cost (2 cores, warm caches, nothing else running): see docs/k8s-rig.md ("The demo"); this is a
// bring-up of its own, not shared with kubelet-cluster.test.ts, because it checks the command
// itself (its build steps, its flags, its exit status and teardown), which a shared cluster could not.
import { existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { requireRoot } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { run } from "../rig/run-process.ts";

requireRoot();

interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  seconds: number;
}

function demo(args: readonly string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn("bash", [join(repoRoot, "test", "scripts", "demo.sh"), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    // The demo tears itself down on SIGTERM; a hung one is stopped that way, then killed.
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 180_000).unref();
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, pid: child.pid ?? 0, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** The rows of the printed ping matrix (after its header line), or [] when it is missing. */
function matrixRows(stdout: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith("== ping matrix"));
  if (start < 0) return [];
  const rows: string[] = [];
  // Rows start "pod@node"; the table ends at the first line that is not one (a blank line, the
  // next section, or the demo's "  ping matrix in N s" timing line).
  for (const l of lines.slice(start + 2)) {
    if (!/^\S+@\S+\s/.test(l)) break;
    rows.push(l);
  }
  return rows;
}

test("npm run demo -- once: 3 kubelet nodes, helm install, a complete ping matrix, ipam check exit 0, nothing left", async () => {
  const r = await demo(["once"], 1_200_000);
  process.stderr.write(`[demo.test] demo once: exit ${String(r.status)} after ${r.seconds.toFixed(0)} s\n${r.stdout.split("\n").filter((l) => /^( {2}\S| {2}helm|all |demo |ipam check|problem|\d+ of )/.test(l)).join("\n")}\n`);
  expect([r.status, r.signal]).toEqual([0, null]);
  // Six pods, two per node, each row "pod@node ip" then 5 "ok" and its own "-".
  const rows = matrixRows(r.stdout);
  expect(rows).toHaveLength(6);
  for (const row of rows) {
    expect(row).not.toContain("FAIL");
    expect(row.split(/\s+/).filter((c) => c === "ok")).toHaveLength(5);
    expect(row).toMatch(/@node-[123] 198\.18\.\d+\.\d+ /);
  }
  expect(new Set(rows.map((row) => /@(node-\d)/.exec(row)?.[1])).size).toBe(3);
  expect(r.stdout).toContain("all 30 pod pairs answered");
  expect(r.stdout).toMatch(/== petrelctl ipam check \(exit 0[,)]/);
  expect(r.stdout).toContain("ipam check: no problems");
  for (const n of ["node-1", "node-2", "node-3"]) expect(r.stdout).toContain(`--node ${n} --check-routes (on ${n}; exit 0)`);
  expect(r.stdout).toContain("petrel demo removed");
  // demo.sh execs node, so the demo's pid is the child's: its names carry it.
  const left = run(["ip", "netns", "list"]).stdout.split("\n").filter((l) => l.startsWith(`ptl-demo-${r.pid}-`));
  expect(left).toEqual([]);
  expect(run(["ip", "link", "show", `pu${r.pid}`.slice(0, 15)]).status).not.toBe(0);
  expect(existsSync("/run/petrel-demo.pid")).toBe(false);
}, 1_500_000);

test("npm run demo -- with a bad flag exits 2 with the usage line before it builds or starts anything", async () => {
  const r = await demo(["once", "--nodes", "1"], 120_000);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--nodes needs a whole number from 2 to 9");
  expect(r.stderr).toContain("usage: npm run demo --");
  expect(r.stdout).not.toContain("== test-only Kubernetes binaries");
}, 180_000);
