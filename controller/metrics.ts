/**
 * The controller's Prometheus metrics (prom-client), on their own registry. docs/metrics.md lists
 * every series. The cluster gauges (petrel_ipam_*, petrel_controller_agent_heartbeat_*) come from
 * `ipamUsage` over the watch caches and are exported by the leader only: a standby's caches are
 * as warm, but a sum over every replica's series must count each block once.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ClusterState } from "./core/cluster-state.ts";
import { ipamUsage, type IpamUsage } from "./core/ipam-usage.ts";
import type { ReconcilerMetrics } from "./reconcile/reconciler.ts";

export interface ControllerMetrics extends ReconcilerMetrics {
  readonly registry: Registry;
  apiRequest(verb: string, resource: string): void;
  setLeader(leading: boolean): void;
}

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

/** The cluster gauges: name, help, labels, and their samples in one usage snapshot. */
const clusterGauges: readonly { name: string; help: string; labels: string[]; samples: (u: IpamUsage) => Sample[] }[] = [
  {
    name: "petrel_ipam_pool_size_addresses",
    help: "Addresses in each pool's CIDR (absent for a pool whose spec is invalid). Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.flatMap((p): Sample[] => (p.sizeAddresses === undefined ? [] : [[{ pool: p.pool }, p.sizeAddresses]])),
  },
  {
    name: "petrel_ipam_pool_size_blocks",
    help: "Blocks each pool can be cut into (absent for an invalid pool). Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.flatMap((p): Sample[] => (p.sizeBlocks === undefined ? [] : [[{ pool: p.pool }, p.sizeBlocks]])),
  },
  {
    name: "petrel_ipam_pool_blocks",
    help: "IPAMBlocks cut from each pool (draining ones included). Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.map((p): Sample => [{ pool: p.pool }, p.blocks]),
  },
  {
    name: "petrel_ipam_pool_free_blocks",
    help: "Blocks of each pool not cut yet (absent for an invalid pool). Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.flatMap((p): Sample[] => (p.freeBlocks === undefined ? [] : [[{ pool: p.pool }, p.freeBlocks]])),
  },
  {
    name: "petrel_ipam_pool_allocations_in_use",
    help: "Addresses allocated to pods in each pool, as the agents report them in IPAMBlock status. Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.map((p): Sample => [{ pool: p.pool }, p.allocationsInUse]),
  },
  {
    name: "petrel_ipam_pool_exhausted",
    help: "1 when a pool has no block left to cut or a node waits for one (its Exhausted condition), else 0. Leader only.",
    labels: ["pool"],
    samples: (u) => u.pools.flatMap((p): Sample[] => (p.exhausted === undefined ? [] : [[{ pool: p.pool }, p.exhausted ? 1 : 0]])),
  },
  {
    name: "petrel_ipam_blocks",
    help: "IPAMBlocks by pool and node (draining ones included). Leader only.",
    labels: ["pool", "node"],
    samples: (u) => u.nodes.map((n): Sample => [{ pool: n.pool, node: n.node }, n.blocks]),
  },
  {
    name: "petrel_ipam_allocations_in_use",
    help: "Addresses allocated to pods, by pool and node, as the nodes' agents report them in IPAMBlock status. Leader only.",
    labels: ["pool", "node"],
    samples: (u) => u.nodes.map((n): Sample => [{ pool: n.pool, node: n.node }, n.allocationsInUse]),
  },
  {
    name: "petrel_ipam_addresses",
    help: "Addresses in the blocks (capacity), by pool and node. Leader only.",
    labels: ["pool", "node"],
    samples: (u) => u.nodes.map((n): Sample => [{ pool: n.pool, node: n.node }, n.addresses]),
  },
  {
    name: "petrel_controller_agent_heartbeat_timestamp_seconds",
    help: "When each node's agent last refreshed its PetrelNode heartbeat (status.lastHeartbeatTime), in seconds since the epoch. Leader only.",
    labels: ["node"],
    samples: (u) => u.heartbeats.map((h): Sample => [{ node: h.node }, h.timestampSeconds]),
  },
];

/** Set from the last reconcile pass's plan (only the leader reconciles), not from a snapshot. */
const nodeExhaustedName = "petrel_ipam_node_exhausted";

/** The names of the gauges only the leader exports (docs/metrics.md; the standby test checks them). */
export const leaderOnlyMetricNames: readonly string[] = [...clusterGauges.map((g) => g.name), nodeExhaustedName];

export function createControllerMetrics(snapshot: () => ClusterState | undefined, watchRestarts: () => number): ControllerMetrics {
  const registry = new Registry();
  const requests = new Counter({ name: "petrel_controller_api_requests_total", help: "Requests to the API server, by verb and resource.", labelNames: ["verb", "resource"], registers: [registry] });
  const actions = new Counter({ name: "petrel_controller_actions_total", help: "Planned writes carried out, by kind and outcome (done, exists, missing, error).", labelNames: ["kind", "outcome"], registers: [registry] });
  const passes = new Histogram({ name: "petrel_controller_reconcile_duration_seconds", help: "Duration of reconcile passes.", labelNames: ["clean"], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30], registers: [registry] });
  const pending = new Gauge({ name: "petrel_controller_pending_writes", help: "The controller's writes not yet seen in its watch caches.", registers: [registry] });
  const leader = new Gauge({ name: "petrel_controller_is_leader", help: "1 when this replica holds the leader Lease.", registers: [registry] });
  // A counter (it only grows): was petrel_controller_watch_restarts, a gauge without `_total`.
  new Counter({
    name: "petrel_controller_watch_restarts_total",
    help: "Watches restarted after an error (API server restarts, network failures).",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(watchRestarts());
    },
  });
  let leading = false;
  // Each gauge computes the usage from its own snapshot, O(blocks + pools) per gauge and scrape:
  // no cache to go stale between a test's (or a fast scraper's) two scrapes.
  const usage = (): IpamUsage | undefined => {
    const s = leading ? snapshot() : undefined;
    return s === undefined ? undefined : ipamUsage(s);
  };
  for (const g of clusterGauges) {
    new Gauge({
      name: g.name,
      help: g.help,
      labelNames: g.labels,
      registers: [registry],
      collect() {
        this.reset();
        const u = usage();
        if (u === undefined) return;
        for (const [labels, v] of g.samples(u)) this.set(labels, v);
      },
    });
  }
  const nodeExhausted = new Gauge({
    name: nodeExhaustedName,
    help: "1 while a node needs a block of a pool (it has none, or reached the high-water mark) and none is free, as of the last reconcile pass; absent otherwise. Leader only.",
    labelNames: ["pool", "node"],
    registers: [registry],
  });
  return {
    registry,
    apiRequest: (verb, resource) => requests.inc({ verb, resource }),
    setLeader: (now) => {
      leading = now;
      leader.set(now ? 1 : 0);
      if (!now) nodeExhausted.reset();
    },
    action: (kind, outcome) => actions.inc({ kind, outcome }),
    pass: (seconds, clean) => passes.observe({ clean: String(clean) }, seconds),
    pendingWrites: (n) => pending.set(n),
    waitingForBlocks: (waiting) => {
      nodeExhausted.reset();
      if (leading) for (const w of waiting) nodeExhausted.set({ pool: w.pool, node: w.node }, 1);
    },
  };
}
