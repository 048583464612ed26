import { closeSync, constants, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, linkSync } from "node:fs";
import { CniCode, CniError } from "../cni-error.ts";
import type { NodeLock } from "../ports.ts";

/**
 * A node-local mutual-exclusion lock made of an O_EXCL lock file that names its holder
 * (pid and process start time, so a reused pid is not mistaken for the holder). A holder that
 * was killed leaves the file behind; the next waiter sees the holder is gone and breaks it.
 *
 * Why not flock(2): neither Node nor Bun exposes it, and loading bun:ffi to call it costs about
 * 4 ms on every plugin run (measured). The lock only orders allocations; uniqueness of
 * addresses does not depend on it (see allocation-store.ts), so the small window in which two
 * waiters could both break the same stale lock costs at most one retried reservation.
 */
function processStartTime(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counted after the ")" that ends the command name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

const staleCheckAfterMs = 500;
const maxPollMs = 20;

function lockAgeMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export function fileNodeLock(path: string, timeoutMs: number): NodeLock {
  const me = `${process.pid} ${processStartTime("self") ?? "?"}`;

  function holderIsGone(owner: string): boolean {
    // Empty: the holder was killed between creating and writing the file (the file is old).
    if (owner === "") return true;
    const [pid, start] = owner.split(" ");
    return pid === undefined || processStartTime(pid) !== start;
  }

  function breakStale(owner: string): void {
    const aside = `${path}.stale.${process.pid}`;
    try {
      renameSync(path, aside);
    } catch {
      return; // someone else broke it first
    }
    let moved = "";
    try {
      moved = readFileSync(aside, "utf8");
    } catch {
      /* gone: nothing to restore */
    }
    if (moved !== owner) {
      // We moved a live holder's fresh lock aside: put it back unless a new one exists.
      try {
        linkSync(aside, path);
      } catch {
        /* a newer lock exists; the live holder's reservations stay unique regardless */
      }
    }
    try {
      unlinkSync(aside);
    } catch {
      /* already gone */
    }
  }

  return {
    acquire() {
      const deadline = Date.now() + timeoutMs;
      let wait = 0.2;
      for (;;) {
        try {
          const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
          try {
            writeSync(fd, me);
          } finally {
            closeSync(fd);
          }
          return () => {
            try {
              if (readFileSync(path, "utf8") === me) unlinkSync(path);
            } catch {
              /* already broken by a waiter that thought we were gone */
            }
          };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
            throw new CniError(CniCode.stateFailure, `cannot create the IPAM lock ${path}: ${(err as Error).message}`, {
              details: "check that the state directory exists and is writable by the plugin (it runs as root)",
              cause: err,
            });
          }
        }
        // Only a lock that has been held for a while can belong to a killed holder: a live one
        // holds it for a few milliseconds. Checking liveness on every poll (a /proc read) starves
        // the holder when hundreds of ADDs wait on two cores (seen in the 200-pod test).
        const age = lockAgeMs(path);
        if (age === undefined) continue; // released between our open and stat: try again at once
        if (age > staleCheckAfterMs) {
          let owner: string;
          try {
            owner = readFileSync(path, "utf8");
          } catch {
            continue;
          }
          if (holderIsGone(owner)) {
            breakStale(owner);
            continue;
          }
        }
        if (Date.now() > deadline) {
          throw new CniError(CniCode.tryAgainLater, `could not take the node's IPAM lock ${path} within ${timeoutMs} ms`, {
            details: "other CNI operations hold it (see its content for the holder's pid); the runtime will retry",
          });
        }
        // Jittered exponential backoff: waiters spread out instead of waking together.
        sleepMs(wait * (0.5 + Math.random()));
        wait = Math.min(wait * 2, maxPollMs);
      }
    },
  };
}
