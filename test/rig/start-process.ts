// Long-running programs (etcd, kube-apiserver): started with their output in a log file, tied to
// this process's life with pdeathsig, and stopped by the exact pid we started, never by name, so
// a rig can never signal another test's (or the host's) processes.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { PortInUse } from "./free-port.ts";

export interface Started {
  child: ChildProcess;
  pid: number;
  name: string;
  logPath: string;
  /** Settles once the program has exited (or failed to start); never rejects. */
  exited: Promise<void>;
  /** How the program ended, or undefined while it still runs: lets wait loops fail fast. */
  exitInfo: () => string | undefined;
}

const SETPRIV = "/usr/bin/setpriv";

/** Starts a long-running program with its output in a log file. */
export function startProcess(name: string, file: string, args: readonly string[], logPath: string): Started {
  const fd = openSync(logPath, "a");
  // setpriv --pdeathsig: the kernel kills the child if this test process dies without stop().
  // setpriv execs the program, so the pid we hold is the program's own pid.
  const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ["--pdeathsig", "KILL", "--", file, ...args]] : [file, [...args]];
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ["ignore", fd, fd] });
  } finally {
    // The child has its own copy of the descriptor; ours would only leak.
    closeSync(fd);
  }
  let info: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      info = signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
      resolve();
    });
    child.once("error", (err) => {
      info = `failed to start: ${err.message}`;
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  return { child, pid: child.pid, name, logPath, exited, exitInfo: () => info };
}

/** SIGTERM each process by its pid (last started first), SIGKILL after 10 s, and wait for the exit. */
export async function killAll(procs: readonly Started[]): Promise<void> {
  // Reverse order: the apiserver stops before the etcd it stores into, so it is never left
  // running (and logging errors while it shuts down) against a dead etcd.
  for (const proc of [...procs].reverse()) {
    if (proc.exitInfo() !== undefined) continue;
    proc.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (proc.exitInfo() === undefined) proc.child.kill("SIGKILL");
    }, 10_000);
    await proc.exited;
    clearTimeout(timer);
  }
}

/** The last lines of a log, for error messages: the reason a program died is usually at the end. */
export async function logTail(path: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    // Lines are clipped: a stack trace into a minified bundle is one enormous line.
    return text.trimEnd().split("\n").slice(-lines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * While waiting for a started program to come up: a program that has exited never will, so fail
 * now with its log tail (PortInUse when it could not bind, so the caller can retry another port).
 */
export async function failIfExited(proc: Started, waitingFor: string): Promise<void> {
  const info = proc.exitInfo();
  if (info === undefined) return;
  const tail = await logTail(proc.logPath);
  if (/address already in use/.test(tail)) throw new PortInUse(`${proc.name}: port in use`);
  throw new Error(`${proc.name} ${info} before it was ${waitingFor}; ${proc.logPath}:\n${tail}`);
}
