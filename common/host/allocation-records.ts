/**
 * Lists the CNI plugin's allocation records on this node (their layout:
 * common/allocation-record.ts), for the agent's IPAM check and drain count and for petrelctl's
 * `ipam check --state-dir`. Read-only; each caller decodes and reports in its own way.
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
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
