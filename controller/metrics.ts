/** The controller's Prometheus metrics (prom-client), on their own registry. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { cidrSize } from "../common/cidr.ts";
import type { ClusterState } from "./core/cluster-state.ts";
import { tryParseCidr } from "./core/free-block.ts";
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
  // IPAM usage, like Calico's ipam_blocks / ipam_allocations_in_use: only the leader exports it,
  // so that a sum over every replica's series counts each block once.
  let leading = false;
  const ipamGauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: ClusterState) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const s = snapshot();
        if (leading && s !== undefined) fill(this, s);
      },
    });
  const perPoolAndNode = (value: (b: ClusterState["blocks"][number]) => number) => (g: Gauge, s: ClusterState) => {
    const sums = new Map<string, { pool: string; node: string; v: number }>();
    for (const b of s.blocks) {
      const key = `${b.spec.pool}\u0000${b.spec.node}`;
      const e = sums.get(key) ?? { pool: b.spec.pool, node: b.spec.node, v: 0 };
      e.v += value(b);
      sums.set(key, e);
    }
    for (const e of sums.values()) g.set({ pool: e.pool, node: e.node }, e.v);
  };
  const blockCapacity = (b: ClusterState["blocks"][number]) => {
    const cidr = tryParseCidr(b.spec.cidr);
    return b.status?.capacity ?? (cidr === undefined ? 0 : Number(cidrSize(cidr)));
  };
  ipamGauge("petrel_ipam_blocks", "IPAMBlocks by pool and node (draining ones included). Leader only.", ["pool", "node"], perPoolAndNode(() => 1));
  ipamGauge("petrel_ipam_allocations_in_use", "Addresses allocated to pods, by pool and node, as the nodes' agents report them in IPAMBlock status. Leader only.", ["pool", "node"], perPoolAndNode((b) => b.status?.allocated ?? 0));
  ipamGauge("petrel_ipam_addresses", "Addresses in the blocks (capacity), by pool and node. Leader only.", ["pool", "node"], perPoolAndNode(blockCapacity));
  const poolGauge = (name: string, help: string, value: (pool: string, s: ClusterState) => number) =>
    ipamGauge(name, help, ["pool"], (g, s) => {
      for (const p of s.pools) g.set({ pool: p.metadata.name }, value(p.metadata.name, s));
    });
  poolGauge("petrel_controller_pool_blocks", "IPAMBlocks cut from each pool. Leader only.", (pool, s) => s.blocks.filter((b) => b.spec.pool === pool).length);
  poolGauge("petrel_controller_pool_used_addresses", "Addresses in use in each pool, as the agents report them. Leader only.", (pool, s) =>
    s.blocks.filter((b) => b.spec.pool === pool).reduce((n, b) => n + (b.status?.allocated ?? 0), 0));
  return {
    registry,
    apiRequest: (verb, resource) => requests.inc({ verb, resource }),
    setLeader: (now) => {
      leading = now;
      leader.set(now ? 1 : 0);
    },
    action: (kind, outcome) => actions.inc({ kind, outcome }),
    pass: (seconds, clean) => passes.observe({ clean: String(clean) }, seconds),
    pendingWrites: (n) => pending.set(n),
  };
}
