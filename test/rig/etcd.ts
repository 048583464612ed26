// The rig's etcd: one member on 127.0.0.1, started and waited for until it reports healthy.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, PortInUse } from "./free-port.ts";
import { killAll, logTail, startProcess, type Started } from "./start-process.ts";

/**
 * Starts etcd with data in `dir` and waits for /health. `attempt` numbers the data directory, so
 * a retry after a port race starts from an empty store, not from the failed attempt's leftovers.
 * Throws PortInUse when etcd could not bind its ports, so the caller can retry with fresh ones.
 */
export async function startEtcd(
  binDir: string,
  dir: string,
  attempt: number,
  timeoutMs: number,
): Promise<{ proc: Started; clientUrl: string }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const proc = startProcess("etcd", join(binDir, "etcd"), [
    "--name=rig",
    `--data-dir=${join(dir, `etcd-data-${attempt}`)}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=rig=${peerUrl}`,
    "--initial-cluster-state=new",
    "--unsafe-no-fsync", // test data only: do not wait for the disk
    "--log-level=warn",
  ], join(dir, "etcd.log"));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // An exited etcd will never become healthy: fail now with its log instead of at the deadline.
    const info = proc.exitInfo();
    if (info !== undefined) {
      const tail = await logTail(proc.logPath);
      if (/address already in use/.test(tail)) throw new PortInUse(`etcd: port in use`);
      throw new Error(`etcd ${info} before it was healthy; ${proc.logPath}:\n${tail}`);
    }
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { health?: string };
      if (res.ok && body.health === "true") return { proc, clientUrl };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await killAll([proc]);
      throw new Error(`etcd not healthy after ${timeoutMs} ms; ${proc.logPath}:\n${await logTail(proc.logPath)}`);
    }
    await sleep(100);
  }
}
