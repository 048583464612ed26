/**
 * Reads the CNI plugin's allocation records from a node's state directory (common/host/
 * allocation-records.ts), with errors that say which --state-dir to pass. Read-only.
 */
import { statSync } from "node:fs";
import { allocationsDir } from "../../../common/allocation-record.ts";
import { readAllocationEntries } from "../../../common/host/allocation-records.ts";
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
  try {
    return readAllocationEntries(stateDir).map(({ name, target }) => ({ name, target }));
  } catch (err) {
    throw new InvalidInputError("--state-dir", `cannot list ${allocationsDir(stateDir)} (${(err as Error).message}); run petrelctl as root on the node`);
  }
}
