/**
 * Lists the CNI plugin's allocation records on this node (their layout:
 * common/allocation-record.ts), for the agent's IPAM check and drain count and for petrelctl's
 * `ipam check --state-dir`; each caller decodes and reports in its own way. Removes a leaked
 * one for the agent's IPAM check and `ipam check --release-from-report`, with the plugin's locks
 * held (plugin-locks.ts). The plugin's own store, on its ADD/DEL path, is
 * cni-plugin/host/allocation-store.ts.
 */
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { allocationsDir, isRecordName } from "../allocation-record.ts";

export interface AllocationEntry {
  /** The entry's name (a record's address, when the entry is one). */
  readonly name: string;
  /** Its symlink target; undefined when it cannot be read as a symlink (a stray file, not a record). */
  readonly target: string | undefined;
  /** Its mtime (when the plugin made or last rewrote the record); undefined with `target`. */
  readonly mtimeMs: number | undefined;
}

/**
 * Every entry of the allocations directory that is meant to be a record, with its target and
 * mtime; entries released while we listed are left out. No directory (no ADD on this node yet)
 * is no entries; any other failure to list it is thrown.
 */
export function readAllocationEntries(stateDir: string): AllocationEntry[] {
  const dir = allocationsDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: AllocationEntry[] = [];
  for (const name of names) {
    if (!isRecordName(name)) continue;
    let target: string;
    let mtimeMs: number;
    try {
      target = readlinkSync(join(dir, name));
      mtimeMs = lstatSync(join(dir, name)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // released while we listed
      out.push({ name, target: undefined, mtimeMs: undefined });
      continue;
    }
    out.push({ name, target, mtimeMs });
  }
  return out;
}

/**
 * Removes the record `name` and makes that durable (fsync of the directory), as the plugin's DEL
 * does; false when it was already gone. Call it with the plugin's locks held.
 */
export function removeAllocationRecord(stateDir: string, name: string): boolean {
  const dir = allocationsDir(stateDir);
  try {
    unlinkSync(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}
