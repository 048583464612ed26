// gobgpd processes for BGP tests: one per network namespace, with its gRPC API on a unix socket
// in the test's temp dir. A unix socket lives in the file system, not in a network namespace, so
// the test (in the host namespace) reaches a gobgpd whose BGP side is confined to its netns.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { logTail, startProcess, type Started } from "../rig/start-process.ts";
import { run } from "../rig/run-process.ts";

export interface Gobgpd {
  name: string;
  netns: string;
  socket: string;
  /** gRPC target for the client. */
  address: string;
  logPath: string;
  proc: Started;
}

export function requireGobgpd(): string {
  const r = run(["sh", "-c", "command -v gobgpd"]);
  const path = r.stdout.trim();
  if (r.status !== 0 || path === "") throw new Error("gobgpd is not installed: apt-get install gobgpd golang-github-osrg-gobgp-dev");
  return path;
}

/** Starts gobgpd inside `netns`; a stale socket of an earlier (killed) run is removed first. */
export async function startGobgpd(name: string, netns: string, dir: string): Promise<Gobgpd> {
  const socket = join(dir, `${name}.sock`);
  const logPath = join(dir, `${name}.log`);
  // A SIGKILLed gobgpd leaves its socket file behind and a new one would fail to listen.
  rmSync(socket, { force: true });
  const proc = startProcess(`gobgpd-${name}`, "ip", [
    "netns", "exec", netns, requireGobgpd(), "--api-hosts", `unix://${socket}`, "--log-plain", "--pprof-disable", "--log-level", "info",
  ], logPath);
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    const ended = proc.exitInfo();
    if (ended !== undefined) throw new Error(`gobgpd ${name} ${ended}:\n${await logTail(logPath)}`);
    if (Date.now() > deadline) throw new Error(`gobgpd ${name} made no API socket in 15 s:\n${await logTail(logPath)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, netns, socket, address: `unix://${socket}`, logPath, proc };
}

/** SIGKILL by pid, as a crash would, and wait for the exit. */
export async function killGobgpd(g: Gobgpd): Promise<void> {
  if (g.proc.exitInfo() === undefined) g.proc.child.kill("SIGKILL");
  await g.proc.exited;
}
