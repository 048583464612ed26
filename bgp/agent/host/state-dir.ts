/**
 * The node's state directory, shared with the CNI plugin: the agent writes `blocks.json` (the
 * blocks the plugin may allocate from) atomically, and reads the plugin's allocation records
 * (their layout: common/allocation-record.ts) to count addresses in use and find leaks.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { allocationsDir, decodeRecord, type DecodedRecord } from "../../../common/allocation-record.ts";
import { readAllocationEntries } from "../../../common/host/allocation-records.ts";
import { withPluginLocks as holdPluginLocks } from "../../../common/host/plugin-locks.ts";
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

/** The current `blocks.json`, or undefined when it cannot be read (then it is written again). */
export function readBlocksFile(stateDir: string): string | undefined {
  try {
    return readFileSync(join(stateDir, nodeBlocksFileName), "utf8");
  } catch {
    return undefined;
  }
}

export interface RecordEntry {
  readonly name: string;
  readonly record: DecodedRecord | undefined;
  /** mtime of the record (when the plugin made or last rewrote it). */
  readonly mtimeMs: number | undefined;
}

/** Every entry of the allocations directory that is meant to be a record (decoded, or undefined when it is not one). */
export function readRecords(stateDir: string): RecordEntry[] {
  return readAllocationEntries(stateDir).map(({ name, target, mtimeMs }) => ({ name, record: target === undefined ? undefined : decodeRecord(name, target), mtimeMs }));
}

/** Addresses with an allocation record (the names of the plugin's records). */
export function allocatedAddresses(stateDir: string): string[] {
  return readRecords(stateDir).filter((e) => e.record !== undefined).map((e) => e.name);
}

/**
 * Runs `fn` while no CNI ADD, DEL or GC runs on the node (common/host/plugin-locks.ts). The
 * agent may come up before the plugin's first ADD: it makes the allocations directory first.
 */
export async function withPluginLocks<T>(stateDir: string, timeoutSeconds: number, fn: () => T | Promise<T>): Promise<T> {
  mkdirSync(allocationsDir(stateDir), { recursive: true, mode: 0o700 });
  return holdPluginLocks(stateDir, timeoutSeconds, "is util-linux installed, and is a CNI operation stuck?", fn);
}
