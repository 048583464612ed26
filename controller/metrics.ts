/** The controller's Prometheus metrics (prom-client), on their own registry. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ClusterState } from "./core/cluster-state.ts";
import type { ReconcilerMetrics } from "./reconcile/reconciler.ts";

export interface ControllerMetrics extends ReconcilerMetrics {
  readonly registry: Registry;
  apiRequest(verb: string, resource: string): void;
  setLeader(leading: boolean): void;
}

export function createControllerMetrics(snapshot: () => ClusterState | undefined, watchRestarts: () => number): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "petrel_controller_" });
  const requests = new Counter({ name: "petrel_controller_api_requests_total", help: "Requests to the API server, by verb and resource.", labelNames: ["verb", "resource"], registers: [registry] });
  const actions = new Counter({ name: "petrel_controller_actions_total", help: "Planned writes carried out, by kind and outcome (done, exists, missing, error).", labelNames: ["kind", "outcome"], registers: [registry] });
  const passes = new Histogram({ name: "petrel_controller_reconcile_duration_seconds", help: "Duration of reconcile passes.", labelNames: ["clean"], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30], registers: [registry] });
  const pending = new Gauge({ name: "petrel_controller_pending_writes", help: "The controller's writes not yet seen in its watch caches.", registers: [registry] });
  const leader = new Gauge({ name: "petrel_controller_is_leader", help: "1 when this replica holds the leader Lease.", registers: [registry] });
  new Gauge({
    name: "petrel_controller_watch_restarts",
    help: "Watches restarted after an error (API server restarts, network failures).",
    registers: [registry],
    collect() {
      this.set(watchRestarts());
    },
  });
  const poolGauge = (name: string, help: string, value: (pool: string, s: ClusterState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers: [registry],
      collect() {
        const s = snapshot();
        this.reset();
        if (s === undefined) return;
        for (const p of s.pools) this.set({ pool: p.metadata.name }, value(p.metadata.name, s));
      },
    });
  poolGauge("petrel_controller_pool_blocks", "IPAMBlocks cut from each pool.", (pool, s) => s.blocks.filter((b) => b.spec.pool === pool).length);
  poolGauge("petrel_controller_pool_used_addresses", "Addresses in use in each pool, as the agents report them.", (pool, s) =>
    s.blocks.filter((b) => b.spec.pool === pool).reduce((n, b) => n + (b.status?.allocated ?? 0), 0));
  return {
    registry,
    apiRequest: (verb, resource) => requests.inc({ verb, resource }),
    setLeader: (leading) => leader.set(leading ? 1 : 0),
    action: (kind, outcome) => actions.inc({ kind, outcome }),
    pass: (seconds, clean) => passes.observe({ clean: String(clean) }, seconds),
    pendingWrites: (n) => pending.set(n),
  };
}
