/**
 * The few libc calls the plugin needs that neither Bun nor Node offers: a netlink socket
 * (socket, setsockopt, send, recv), setns(2) and flock(2), through `bun:ffi`. Loading the
 * symbols costs about 0.2 ms per run with Bun 1.4.5 (measured; an older Bun took 4 ms).
 * Bun-compiled executables link glibc, so libc.so.6 is there wherever the plugin can run.
 *
 * Every call runs on the calling (JavaScript) thread, which is what makes setns(2) usable:
 * it moves only the calling thread, and `host/netns.ts` brings it back at once.
 */
import { FFIType, dlopen, ptr, read } from "bun:ffi";
import { errnoName, errnoText } from "../netlink/errno.ts";

function load() {
  return dlopen("libc.so.6", {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
    send: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
    recv: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
    setns: { args: ["i32", "i32"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
    flock: { args: ["i32", "i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  }).symbols;
}

let symbols: ReturnType<typeof load> | undefined;
const libc = (): ReturnType<typeof load> => (symbols ??= load());

/** A failed libc call: `errno` is the positive error number (EEXIST is 17). */
export class SyscallError extends Error {
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errno: number) {
    super(`${syscall}: ${errnoText(errno)} (${errnoName(errno)})`);
    this.name = "SyscallError";
    this.syscall = syscall;
    this.errno = errno;
  }
}

function errno(): number {
  const where = libc().__errno_location();
  return where === null ? 0 : read.i32(where, 0);
}

const EINTR = 4;
const EWOULDBLOCK = 11;

/** Calls `f` until it does not fail with EINTR; throws SyscallError on any other failure. */
function retrying(name: string, f: () => number): number {
  for (;;) {
    const r = f();
    if (r >= 0) return r;
    const e = errno();
    if (e !== EINTR) throw new SyscallError(name, e);
  }
}

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const CLONE_NEWNET = 0x40000000;
export const MSG_TRUNC = 0x20;

export function socket(domain: number, type: number, protocol: number): number {
  return retrying("socket", () => libc().socket(domain, type, protocol));
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const v = Int32Array.of(value);
  retrying("setsockopt", () => libc().setsockopt(fd, level, name, ptr(v), 4));
}

export function send(fd: number, data: Uint8Array): number {
  return retrying("send", () => Number(libc().send(fd, ptr(data), data.length, 0)));
}

/** recv(2); with MSG_TRUNC the result is the datagram's real length, even when longer than `buf`. */
export function recv(fd: number, buf: Uint8Array, flags = 0): number {
  return retrying("recv", () => Number(libc().recv(fd, ptr(buf), buf.length, flags)));
}

/** Moves the calling thread into the namespace `fd` refers to. */
export function setns(fd: number, nstype: number): void {
  retrying("setns", () => libc().setns(fd, nstype));
}

export function close(fd: number): void {
  // Not retried: after EINTR the descriptor is already closed on Linux.
  libc().close(fd);
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/**
 * flock(2) on an open descriptor: LOCK_SH or LOCK_EX (blocking unless | LOCK_NB), or LOCK_UN.
 * Returns false when LOCK_NB was given and another descriptor holds a conflicting lock; throws
 * SyscallError on any other failure. The lock belongs to the open file description, so it is
 * released when the process exits, however it exits.
 */
export function flock(fd: number, operation: number): boolean {
  for (;;) {
    if (libc().flock(fd, operation) === 0) return true;
    const e = errno();
    if (e === EINTR) continue;
    if (e === EWOULDBLOCK && (operation & LOCK_NB) !== 0) return false;
    throw new SyscallError("flock", e);
  }
}
