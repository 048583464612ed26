/**
 * The node's state directory, shared with the CNI plugin: the agent writes `blocks.json` (the
 * blocks the plugin may allocate from) atomically, and reads the plugin's allocation records to
 * count addresses in use.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { nodeBlocksFileName } from "../../../common/node-blocks.ts";

/** Writes `blocks.json` with write, fsync, rename, fsync(dir): a reader never sees half a file. */
export function writeBlocksFile(stateDir: string, content: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  const tmp = join(stateDir, `.${nodeBlocksFileName}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(stateDir, nodeBlocksFileName));
  const dir = openSync(stateDir, "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Addresses with an allocation record (the names of the plugin's records). */
export function allocatedAddresses(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, "allocations")).filter((n) => !n.startsWith("."));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}
