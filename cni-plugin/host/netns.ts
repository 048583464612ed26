/**
 * Work in a pod's network namespace without running anything in it. The only thing the plugin
 * does inside a pod's namespace is socket(2): a netlink socket stays bound to the namespace it
 * was created in, so the thread switches in (setns), creates the socket and switches straight
 * back, and all pod-side work then goes through that socket from the plugin's own namespace.
 * A JavaScript runtime is multi-threaded and setns(2) moves only the calling thread: the switch
 * lasts one system call, and the return is verified by the namespace's inode afterwards.
 */
import { closeSync, fstatSync, openSync, statSync } from "node:fs";
import { CLONE_NEWNET, setns } from "./libc.ts";
import { RtnlSocket } from "./netlink-socket.ts";

const threadNetns = "/proc/thread-self/ns/net";

/** The network namespace this thread was in when the plugin started (set once, on first use). */
let homeInode: number | undefined;
/** Set if returning home ever failed: from then on nothing may create sockets or touch /proc/sys. */
let stranded = false;

export class NetnsError extends Error {
  constructor(msg: string, options?: { cause?: unknown }) {
    super(msg, options);
    this.name = "NetnsError";
  }
}

function currentInode(): number {
  return statSync(threadNetns).ino;
}

/** Throws unless this thread is in the namespace the plugin started in. */
export function assertHome(): void {
  if (stranded) throw new NetnsError("the plugin could not return to its own network namespace earlier; refusing host work");
  homeInode ??= currentInode();
  if (currentInode() !== homeInode) {
    stranded = true;
    throw new NetnsError(`this thread is in network namespace ${currentInode()}, not the plugin's own (${homeInode}); refusing host work`);
  }
}

/** A socket for the plugin's own namespace. */
export function homeSocket(): RtnlSocket {
  assertHome();
  return new RtnlSocket();
}

/** Opens a network namespace file (e.g. /var/run/netns/x, /proc/PID/ns/net); the fd pins the namespace. */
export function openNetns(path: string): number {
  const fd = openSync(path, "r");
  return fd;
}

/** The namespace's identity (inode of its nsfs file). */
export function netnsInode(fdOrPath: number | string): number {
  return typeof fdOrPath === "number" ? fstatSync(fdOrPath).ino : statSync(fdOrPath).ino;
}

/**
 * Runs `inside` with this thread in the namespace `nsFd`, and returns home whatever happens.
 * `inside` must be one system call's worth of work (socket creation): it must not do host work.
 * Exported for the namespace-safety tests; the plugin uses it only through `socketInNetns`.
 */
export function inNetns<T>(nsFd: number, inside: () => T): T {
  assertHome();
  const home = openSync(threadNetns, "r");
  try {
    setns(nsFd, CLONE_NEWNET);
    try {
      return inside();
    } finally {
      returnHome(home);
    }
  } finally {
    closeSync(home);
  }
}

function returnHome(homeFd: number): void {
  try {
    setns(homeFd, CLONE_NEWNET);
  } catch (err) {
    stranded = true;
    throw new NetnsError(`cannot return to the plugin's own network namespace: ${(err as Error).message}`, { cause: err });
  }
  assertHome();
}

/** A netlink socket bound in the namespace `nsFd`, made without leaving this thread there. */
export function socketInNetns(nsFd: number): RtnlSocket {
  return inNetns(nsFd, () => new RtnlSocket());
}

/**
 * A netlink socket in the namespace at `path`, or undefined when there is none (the runtime
 * deleted it). The descriptor on the namespace is closed at once: the socket holds it alive.
 */
export function socketAt(path: string): RtnlSocket | undefined {
  let fd: number;
  try {
    fd = openNetns(path);
  } catch {
    return undefined;
  }
  try {
    return socketInNetns(fd);
  } finally {
    closeSync(fd);
  }
}
