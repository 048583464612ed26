import { closeSync, constants, openSync } from "node:fs";
import { CniCode, CniError } from "../cni-error.ts";
import type { LockMode, LockName, NodeLock } from "../ports.ts";
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SyscallError } from "./libc.ts";

/**
 * The node's two IPAM locks (common/allocation-record.ts names them), as flock(2) locks on files
 * in the allocations directory. The kernel releases a flock lock when its holder exits, however it
 * dies, so nothing here ever decides whether a holder is alive or how old a lock is (the O_EXCL
 * lock file of Petrel 0.1 did, and a clock stepped back made such a lock look fresh for ever).
 *
 * Waiting polls with LOCK_NB and a jittered exponential backoff up to 20 ms, so the timeout holds
 * (a blocking flock cannot be interrupted from JavaScript).
 */
const maxPollMs = 20;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export function fileNodeLock(paths: Readonly<Record<LockName, string>>, timeoutMs: number): NodeLock {
  return {
    acquire(name, mode: LockMode) {
      const path = paths[name];
      let fd: number;
      try {
        fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      } catch (err) {
        throw new CniError(CniCode.stateFailure, `cannot open the IPAM lock ${path}: ${(err as Error).message}`, {
          details: "check that the state directory exists, is writable by the plugin (it runs as root) and the filesystem is not full",
          cause: err,
        });
      }
      const op = (mode === "shared" ? LOCK_SH : LOCK_EX) | LOCK_NB;
      const deadline = Date.now() + timeoutMs;
      let wait = 0.2;
      for (;;) {
        let locked: boolean;
        try {
          locked = flock(fd, op);
        } catch (err) {
          closeSync(fd);
          throw new CniError(CniCode.stateFailure, `cannot lock ${path}: ${err instanceof SyscallError ? err.message : String(err)}`, {
            details: "the state directory must be on a local filesystem that supports flock(2)",
            cause: err,
          });
        }
        if (locked) break;
        if (Date.now() > deadline) {
          closeSync(fd);
          throw new CniError(CniCode.tryAgainLater, `could not take the node's IPAM lock ${path} (${mode}) within ${timeoutMs} ms`, {
            details: "other CNI operations, a CNI GC or the Petrel agent's drain check hold it (fuser -v on the file names them); the runtime will retry",
          });
        }
        sleepMs(wait * (0.5 + Math.random()));
        wait = Math.min(wait * 2, maxPollMs);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Closing the descriptor alone would release it; LOCK_UN first says so, and an error
        // here cannot keep the lock held.
        try {
          flock(fd, LOCK_UN);
        } finally {
          closeSync(fd);
        }
      };
    },
  };
}
