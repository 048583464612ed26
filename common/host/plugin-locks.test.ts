// The plugin's locks taken through util-linux flock(1); flock(1) with --nonblock is the judge.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocLockName, allocationsDir, gateLockName } from "../allocation-record.ts";
import { withPluginLocks } from "./plugin-locks.ts";

let stateDir = "";
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "petrel-plugin-locks-"));
  mkdirSync(allocationsDir(stateDir));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const free = (lock: string): boolean => spawnSync("flock", ["--nonblock", "--exclusive", join(allocationsDir(stateDir), lock), "true"]).status === 0;

describe("withPluginLocks", () => {
  it("holds both locks exclusively while fn runs, returns its value and releases them", async () => {
    const seen = await withPluginLocks(stateDir, 5, "fix it", () => [free(allocLockName), free(gateLockName)]);
    expect(seen).toEqual([false, false]);
    expect([free(allocLockName), free(gateLockName)]).toEqual([true, true]);
  });

  it("releases the locks when fn fails, and passes its error on", async () => {
    await expect(withPluginLocks(stateDir, 5, "fix it", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(free(gateLockName)).toBe(true);
  });

  it("fails after the timeout while another process holds a lock, saying where and how to fix it", async () => {
    const holder = spawn("flock", ["--exclusive", join(allocationsDir(stateDir), gateLockName), "sh", "-c", "echo held; read _"], { stdio: ["pipe", "pipe", "ignore"] });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    try {
      let ran = false;
      await expect(withPluginLocks(stateDir, 0, "is a CNI operation stuck?", () => (ran = true)))
        .rejects.toThrow(`could not take the CNI plugin's locks in ${allocationsDir(stateDir)} within 0 s`);
      await expect(withPluginLocks(stateDir, 0, "is a CNI operation stuck?", () => (ran = true))).rejects.toThrow(/; is a CNI operation stuck\?$/);
      expect(ran).toBe(false);
      expect(free(allocLockName)).toBe(true); // the alloc lock taken first was given up again
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.once("exit", resolve));
    }
  });
});
