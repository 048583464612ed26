/**
 * Reads the CNI plugin's allocation records from a node's state directory (their layout:
 * common/allocation-record.ts). Read-only.
 */
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { allocationsDir, isRecordName } from "../../../common/allocation-record.ts";
import { InvalidInputError } from "../../../common/errors.ts";
import type { RecordEntry } from "../check-model.ts";

export function readAllocationRecords(stateDir: string): RecordEntry[] {
  let isDir: boolean;
  try {
    isDir = statSync(stateDir).isDirectory();
  } catch (err) {
    throw new InvalidInputError("--state-dir", `cannot read ${stateDir} (${(err as Error).message}); pass the CNI plugin's state directory on this node (its "stateDir", default /var/lib/petrel), and run petrelctl on that node`);
  }
  if (!isDir) throw new InvalidInputError("--state-dir", `${stateDir} is not a directory; pass the CNI plugin's state directory (default /var/lib/petrel)`);
  const dir = allocationsDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    // No allocations directory: the plugin has not allocated on this node yet.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new InvalidInputError("--state-dir", `cannot list ${dir} (${(err as Error).message}); run petrelctl as root on the node`);
  }
  const out: RecordEntry[] = [];
  for (const name of names) {
    if (!isRecordName(name)) continue;
    let target: string | undefined;
    try {
      target = readlinkSync(join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // released while we listed
      target = undefined; // not a symlink
    }
    out.push({ name, target });
  }
  return out;
}
