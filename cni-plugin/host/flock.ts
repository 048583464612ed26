/**
 * flock(2) through bun:ffi: the minimal binding the node lock needs (until the plugin's libc
 * module from the netlink work offers one; then this file goes). Loading it costs about 0.2 ms
 * per run (MACHINE-NOTES.md). A flock lock belongs to the open file and the kernel drops it when
 * the holder exits or is killed, so a dead holder, a stale file or a clock stepped back can never
 * keep the lock held.
 */
import { dlopen, FFIType, read } from "bun:ffi";

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const EWOULDBLOCK = 11;
export const EINTR = 4;

type Libc = { flock(fd: number, op: number): number; errno(): number };

let libc: Libc | undefined;

function load(): Libc {
  if (libc !== undefined) return libc;
  let lastError: unknown;
  for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.so"]) {
    try {
      const lib = dlopen(name, {
        flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
        __errno_location: { args: [], returns: FFIType.ptr },
      });
      libc = {
        flock: (fd, op) => lib.symbols.flock(fd, op),
        errno: () => {
          const p = lib.symbols.__errno_location();
          return p === null ? 0 : read.i32(p, 0);
        },
      };
      return libc;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`cannot load the C library for flock(2): ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/** One flock(2) call: 0 on success, else the errno (EWOULDBLOCK when LOCK_NB finds it held). */
export function flock(fd: number, op: number): number {
  const c = load();
  return c.flock(fd, op) === 0 ? 0 : c.errno();
}
