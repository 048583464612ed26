// flock(2) through host/libc.ts. bun:ffi exists only under Bun, so each case runs a Bun process
// (host/testing/flock-probe.ts); util-linux's flock(1) is the independent judge of who holds the lock.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bun = join(__dirname, "..", "..", "node_modules", ".bin", "bun");
const probe = join(__dirname, "testing", "flock-probe.ts");
let dir = "";
let file = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-flock-"));
  file = join(dir, "lock");
  writeFileSync(file, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probeJson(args: string[]): Record<string, unknown> {
  const r = spawnSync(bun, [probe, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`flock-probe ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
}

/** util-linux flock(1): can someone else take LOCK_EX right now? */
const othersCanLock = (): boolean => spawnSync("flock", ["-n", "-x", file, "true"]).status === 0;

describe("flock(2) binding", () => {
  it("LOCK_EX excludes, LOCK_SH shares, LOCK_NB does not wait, LOCK_UN and close release", () => {
    expect(probeJson(["same-process", file])).toEqual({
      "a EX": true,
      "b EX|NB while a holds EX": false,
      "b SH|NB while a holds EX": false,
      "a UN": true,
      "b EX|NB after a UN": true,
      "b UN": true,
      "a SH|NB": true,
      "b SH|NB while a holds SH": true,
      "b EX|NB while both hold SH": false,
      "b EX|NB after a closed": true, // closing a released its SH lock; b converts its own SH to EX
      "bad fd": "9 flock: Bad file descriptor (EBADF)",
    });
  });

  it("a lock taken through the binding is seen by flock(1), and released by LOCK_UN", async () => {
    const holder = spawn(bun, [probe, "hold", file, "400"]);
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", (d: Buffer) => {
        lines.push(...d.toString().trim().split("\n"));
        if (lines.includes("locked")) resolve();
      });
      holder.on("exit", (code) => reject(new Error(`holder exited early (${code})`)));
    });
    expect(othersCanLock()).toBe(false);
    await new Promise((resolve) => holder.on("exit", resolve));
    expect(lines).toEqual(["locked", "unlocked"]);
    expect(othersCanLock()).toBe(true);
  });

  it("a blocking LOCK_EX waits for the holder (flock(1) holding it for 300 ms)", async () => {
    const holder = spawn("flock", ["-x", file, "sleep", "0.3"]);
    await new Promise((r) => setTimeout(r, 50));
    const waited = probeJson(["wait", file])["waitedMs"] as number;
    await new Promise((resolve) => holder.on("exit", resolve));
    expect(waited).toBeGreaterThan(150);
  });
});
