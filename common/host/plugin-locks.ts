/**
 * Holding the CNI plugin's node locks from a Node program (the agent's drain count and IPAM
 * check, petrelctl's `ipam check --release-from-report`): both locks exclusively, through
 * util-linux flock(1) (common/allocation-record.ts, lockedCommand), whose child says "locked" and
 * then waits until we close its stdin. The kernel drops the locks if the holder dies meanwhile.
 * The plugin itself takes them with flock(2) and never imports this (it runs no program).
 */
import { spawn } from "node:child_process";
import { allocationsDir, lockedCommand } from "../allocation-record.ts";

/**
 * Runs `fn` while no CNI ADD, DEL or GC runs on the node. Each lock is waited for at most
 * `timeoutSeconds`; `howToFix` ends the error when they cannot be taken (each program knows
 * what its operator should check). The allocations directory must exist.
 */
export async function withPluginLocks<T>(stateDir: string, timeoutSeconds: number, howToFix: string, fn: () => T | Promise<T>): Promise<T> {
  const [file, ...args] = lockedCommand(stateDir, timeoutSeconds, ["sh", "-c", "echo locked; read _"]);
  const child = spawn(file as string, args, { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const locked = await new Promise<boolean>((resolve) => {
    child.stdout.once("data", () => resolve(true));
    void exited.then(() => resolve(false));
    child.once("error", () => resolve(false));
  });
  if (!locked) {
    throw new Error(`could not take the CNI plugin's locks in ${allocationsDir(stateDir)} within ${timeoutSeconds} s: ${stderr.trim() || "flock(1) exited"}; ${howToFix}`);
  }
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await exited;
  }
}
