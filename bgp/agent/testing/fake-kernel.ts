// An in-memory kernel routing table for the route engine's unit tests, with the kernel's rules
// that matter: `add` fails with EEXIST when any route (Petrel's or another protocol's) holds the
// prefix; `replace` and `remove` touch Petrel's routes only. The real one is host/kernel-routes.ts,
// tested against real namespaces in test/.
import type { ApplyResult, KernelPort, KernelRoute, RouteChange } from "../route-plan.ts";

export class FakeKernel implements KernelPort {
  readonly petrel = new Map<string, KernelRoute>();
  /** Routes of other protocols: prefix → what they are (pod /32, connected, default). */
  readonly foreign = new Map<string, string>();
  readonly applied: RouteChange[][] = [];
  lists = 0;
  /** Prefixes whose change fails once (an unreachable gateway). */
  readonly failOnce = new Set<string>();
  broken = false;
  /** Routes of other protocols that a `replace` took over (the bug this design prevents). */
  readonly clobbered: string[] = [];

  async list(): Promise<{ petrel: KernelRoute[]; foreign: Set<string> }> {
    this.lists++;
    return { petrel: [...this.petrel.values()], foreign: new Set(this.foreign.keys()) };
  }

  async apply(changes: readonly RouteChange[]): Promise<ApplyResult> {
    if (this.broken) throw new Error("ip: command not found");
    this.applied.push([...changes]);
    const exists: string[] = [];
    const failed: { prefix: string; error: string }[] = [];
    for (const c of changes) {
      const prefix = c.op === "remove" ? c.prefix : c.route.prefix;
      if (this.failOnce.delete(prefix)) {
        failed.push({ prefix, error: "Error: Nexthop has invalid gateway." });
        continue;
      }
      if (c.op === "add") {
        if (this.foreign.has(prefix) || this.petrel.has(prefix)) exists.push(prefix);
        else this.petrel.set(prefix, c.route);
      } else if (c.op === "replace") {
        // The real kernel would take the other protocol's route over: recorded, tests expect none.
        if (this.foreign.delete(prefix)) this.clobbered.push(prefix);
        this.petrel.set(prefix, c.route);
      } else {
        this.petrel.delete(prefix);
      }
    }
    return { exists, failed };
  }

  /** The Petrel routes as `prefix -> gateway | blackhole`. */
  table(): Record<string, string> {
    return Object.fromEntries([...this.petrel.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : 1)).map((r) => [r.prefix, r.kind === "via" ? r.gateway : "blackhole"]));
  }
}
