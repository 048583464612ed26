import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeSync } from "node:fs";
import {
  currentRecordFormat, decodeRecord, encodeRecordTarget, formatMarkerName, isRecordName, legacyLockName, recordName, type DecodedRecord,
} from "../../common/allocation-record.ts";
import { parseAddress } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { AllocationStore } from "../ports.ts";

/**
 * Durable allocation records in `<stateDir>/allocations/`, one per address, shared by every
 * network that uses the same state directory (so two networks can never hand out one address).
 * The layout is common/allocation-record.ts's. The directory is fsynced before the plugin reports
 * success, so a record survives a crash.
 */
const lastReservedPrefix = ".last-reserved-v";

function stateError(what: string, path: string, err: unknown): CniError {
  return new CniError(CniCode.stateFailure, `cannot ${what} in ${path}: ${(err as Error).message}`, {
    details: "the plugin keeps its allocations in the state directory; check it exists, is writable and the disk is not full",
    cause: err,
  });
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fileAllocationStore(dir: string): AllocationStore {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw stateError("create the allocation directory", dir, err);
  }
  const names = (): string[] => {
    try {
      return readdirSync(dir);
    } catch (err) {
      throw stateError("list allocations", dir, err);
    }
  };
  const read = (name: string): { record: DecodedRecord | undefined; target: string | undefined } => {
    try {
      const target = readlinkSync(`${dir}/${name}`);
      return { record: decodeRecord(name, target), target };
    } catch {
      return { record: undefined, target: undefined }; // released while we listed, or not a symlink
    }
  };
  return {
    list() {
      const out: DecodedRecord[] = [];
      for (const name of names()) {
        if (!isRecordName(name)) continue;
        const { record } = read(name);
        if (record !== undefined) out.push(record);
      }
      return out;
    },
    strays() {
      return names().filter((n) => isRecordName(n) && read(n).record === undefined).map((n) => `${dir}/${n}`);
    },
    tryReserve(allocation) {
      try {
        symlinkSync(encodeRecordTarget(allocation), `${dir}/${recordName(allocation.address)}`);
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
    reservedAt(address) {
      try {
        return lstatSync(`${dir}/${recordName(address)}`).mtimeMs;
      } catch {
        return undefined;
      }
    },
    needsMigration() {
      try {
        return readFileSync(`${dir}/${formatMarkerName}`, "utf8").trim() !== String(currentRecordFormat);
      } catch {
        return true;
      }
    },
    migrate() {
      let rewritten = 0;
      const tmp = `${dir}/.tmp-migrate-${process.pid}`;
      for (const name of names()) {
        if (!isRecordName(name)) continue;
        const { record } = read(name);
        if (record === undefined || record.format === currentRecordFormat) continue;
        try {
          try {
            unlinkSync(tmp);
          } catch {
            /* normally absent */
          }
          symlinkSync(encodeRecordTarget(record), tmp);
          renameSync(tmp, `${dir}/${name}`); // atomic: a reader sees the old record or the new one
          rewritten++;
        } catch (err) {
          throw stateError(`rewrite the allocation record ${name} in the current format`, dir, err);
        }
      }
      try {
        unlinkSync(`${dir}/${legacyLockName}`);
      } catch {
        /* Petrel 0.1's lock file: usually absent */
      }
      const markerTmp = `${dir}/.tmp-format-${process.pid}`;
      try {
        const fd = openSync(markerTmp, "w", 0o600);
        try {
          writeSync(fd, `${currentRecordFormat}\n`);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(markerTmp, `${dir}/${formatMarkerName}`);
        fsyncDir(dir);
      } catch (err) {
        throw stateError("write the record format marker", dir, err);
      }
      return rewritten;
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
        fsyncDir(dir);
      } catch (err) {
        throw stateError("sync allocations to disk", dir, err);
      }
    },
  };
}
