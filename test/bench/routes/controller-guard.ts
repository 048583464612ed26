// The routed cluster runs one petrel-controller with the tests' fast leader-election timings
// (test/support/controller.ts). On this 2-core machine, starting 20 agents at once can delay its
// Lease renewals past the renew deadline; the controller then exits, by design, and nothing in
// RoutedCluster restarts it, so late nodes never get a PetrelNode or a block. The benchmark
// notices and starts a replacement without leader election (it is the only replica), and counts
// the restarts so that the report shows them.
import { ControllerProcess, fastControllerFlags } from "../../support/controller.ts";
import type { RoutedCluster } from "../../support/routed-cluster.ts";

const replacementFlags = [...fastControllerFlags.filter((f) => !f.startsWith("--leader-elect-")), "--no-leader-elect"];

export class ControllerGuard {
  readonly #cluster: RoutedCluster;
  readonly #say: (line: string) => void;
  restarts = 0;

  constructor(cluster: RoutedCluster, say: (line: string) => void) {
    this.#cluster = cluster;
    this.#say = say;
  }

  /** Restarts the controller if it has exited; returns true when it did. */
  async check(): Promise<boolean> {
    const c = this.#cluster.controller;
    if (c === undefined || c.running) return false;
    this.#say(`  petrel-controller ${c.proc.exitInfo() ?? "exited"} (last log: ${(await c.logTail(3)).split("\n").map((l) => l.slice(0, 160)).join(" | ")}); starting a replacement without leader election`);
    const next = await ControllerProcess.start(this.#cluster.rig, `bench-${++this.restarts}`, replacementFlags);
    this.#cluster.controller = next;
    await next.waitReady();
    return true;
  }
}
