import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from "node:fs";
import { parseAddress } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import { decodeRecord, encodeOwner, recordName, type Allocation } from "../ipam/allocation.ts";
import type { AllocationStore } from "../ports.ts";

/**
 * Durable allocation records in `<stateDir>/allocations/`, one per address, shared by every
 * network that uses the same state directory (so two networks can never hand out one address).
 *
 * A record is a symlink named after the address whose target is `network/containerID/ifname`.
 * symlink(2) fails with EEXIST if the name exists and creates name and content in one step, so
 * a reservation is atomic and a process killed at any point leaves a whole record or none.
 * The directory is fsynced before the plugin reports success, so the record survives a crash.
 */
const lastReservedPrefix = ".last-reserved-v";

function stateError(what: string, dir: string, err: unknown): CniError {
  return new CniError(CniCode.stateFailure, `cannot ${what} in ${dir}: ${(err as Error).message}`, {
    details: "the plugin keeps its allocations in the state directory; check it exists, is writable and the disk is not full",
    cause: err,
  });
}

export function allocationsDir(stateDir: string): string {
  return `${stateDir}/allocations`;
}

export function fileAllocationStore(dir: string): AllocationStore {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw stateError("create the allocation directory", dir, err);
  }
  return {
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (err) {
        throw stateError("list allocations", dir, err);
      }
      const out: Allocation[] = [];
      for (const name of names) {
        if (name.startsWith(".")) continue;
        let owner: string;
        try {
          owner = readlinkSync(`${dir}/${name}`);
        } catch {
          continue; // released while we listed
        }
        const rec = decodeRecord(name, owner);
        if (rec !== undefined) out.push(rec);
      }
      return out;
    },
    tryReserve(allocation) {
      try {
        symlinkSync(encodeOwner(allocation), `${dir}/${recordName(allocation.address)}`);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw stateError("record an allocation", dir, err);
      }
    },
    release(address) {
      try {
        unlinkSync(`${dir}/${recordName(address)}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw stateError("release an allocation", dir, err);
      }
    },
    lastReserved(family) {
      try {
        return parseAddress(readlinkSync(`${dir}/${lastReservedPrefix}${family}`));
      } catch {
        return undefined;
      }
    },
    setLastReserved(address) {
      const tmp = `${dir}/.tmp-last-${process.pid}`;
      try {
        try {
          unlinkSync(tmp);
        } catch {
          /* normally absent */
        }
        symlinkSync(recordName(address), tmp);
        renameSync(tmp, `${dir}/${lastReservedPrefix}${address.family}`);
      } catch {
        /* only a hint for round robin; losing it is harmless */
      }
    },
    removeTemporaries() {
      try {
        for (const name of readdirSync(dir)) {
          if (name.startsWith(".tmp-")) unlinkSync(`${dir}/${name}`);
        }
      } catch {
        /* best effort: temporaries are ignored by list() anyway */
      }
    },
    sync() {
      try {
        const fd = openSync(dir, "r");
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        throw stateError("sync allocations to disk", dir, err);
      }
    },
  };
}
