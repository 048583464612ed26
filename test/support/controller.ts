// Runs the built petrel-controller (dist/bin/petrel-controller) against a KubeRig, as a separate
// process with its own log file, health port and identity; stopped by its own pid.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../rig/free-port.ts";
import type { KubeRig } from "../rig/rig.ts";
import { logTail, startProcess, type Started } from "../rig/start-process.ts";

import { sumSamples } from "./prom-text.ts";
import { repoRoot as root } from "../rig/repo-root.ts";

export const controllerBin = join(root, "dist", "bin", "petrel-controller");
/** The project's pinned Node 24 (not whatever `node` jest happens to run under). */
export const pinnedNode = join(root, "node_modules", ".bin", "node");

/** Fast timings for tests: a standby takes over within about 4 s, blocks return after 2 s. */
// The renew deadline leaves room for a loaded 2-core machine (CI runs etcd, the apiserver and
// several controllers at once): a leader that misses it exits, by design.
export const fastControllerFlags = [
  "--leader-elect-lease-duration=4s",
  "--leader-elect-renew-deadline=3s",
  "--leader-elect-retry-period=500ms",
  "--node-grace-period=2s",
  "--release-grace-period=1s",
  "--resync-period=10s",
  "--status-interval=200ms",
  "--lease-namespace=default",
];

export class ControllerProcess {
  readonly identity: string;
  readonly healthPort: number;
  readonly proc: Started;

  private constructor(identity: string, healthPort: number, proc: Started) {
    this.identity = identity;
    this.healthPort = healthPort;
    this.proc = proc;
  }

  static async start(rig: KubeRig, identity: string, extraFlags: readonly string[] = fastControllerFlags): Promise<ControllerProcess> {
    const port = await freePort();
    const proc = startProcess(`petrel-controller ${identity}`, pinnedNode, [
      controllerBin,
      `--kubeconfig=${rig.kubeconfigPath}`,
      `--identity=${identity}`,
      `--health-address=127.0.0.1:${port}`,
      "--log-level=debug",
      ...extraFlags,
    ], join(rig.dir, `controller-${identity}.log`));
    return new ControllerProcess(identity, port, proc);
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitInfo() === undefined;
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const r = await fetch(`http://127.0.0.1:${this.healthPort}${path}`, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, text: await r.text() };
  }

  /** The value of one metric sample, e.g. metric('petrel_controller_is_leader'); 0 when absent. */
  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    const { text } = await this.get("/metrics");
    return sumSamples(text, name, labels);
  }

  /** Waits until /readyz answers 200 (or throws with the log tail). */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`controller ${this.identity} ${this.proc.exitInfo()}:\n${await this.logTail()}`);
      try {
        const r = await this.get("/readyz");
        if (r.status === 200) return;
        last = r.text;
      } catch (err) {
        last = String(err);
      }
      await sleep(200);
    }
    throw new Error(`controller ${this.identity} not ready after ${timeoutMs} ms (${last}):\n${await this.logTail()}`);
  }

  logTail(lines = 40): Promise<string> {
    return logTail(this.proc.logPath, lines);
  }

  /** Sends `signal` to this controller's pid and waits for it to exit (SIGKILL after 10 s). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.running) return;
    this.proc.child.kill(signal);
    const timer = setTimeout(() => this.running && this.proc.child.kill("SIGKILL"), 10_000);
    await this.proc.exited;
    clearTimeout(timer);
  }
}
