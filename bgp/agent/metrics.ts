/** The agent's Prometheus metrics (prom-client), on their own registry. Listed in docs/agent.md. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { AgentMetrics } from "./agent.ts";
import { inconsistencyKinds } from "./ipam-consistency.ts";
import type { PodGcMetrics } from "./pod-gc.ts";
import { refusalReasons } from "./route-trust.ts";

export function createAgentMetrics(node: string): AgentMetrics & PodGcMetrics & { registry: Registry } {
  const registry = new Registry();
  registry.setDefaultLabels({ node });
  collectDefaultMetrics({ register: registry, prefix: "petrel_agent_" });
  const routes = new Gauge({ name: "petrel_agent_routes", help: "Petrel routes in the kernel, by kind (via: to another node's block or a service CIDR; blackhole: this node's own blocks).", labelNames: ["kind"], registers: [registry] });
  const changes = new Counter({ name: "petrel_agent_route_changes_total", help: "Kernel route changes made, by operation (add, replace, remove).", labelNames: ["op"], registers: [registry] });
  const refused = new Counter({ name: "petrel_agent_routes_refused_total", help: "Route announcements refused by route trust, by reason (docs/agent.md).", labelNames: ["reason"], registers: [registry] });
  const refusalsActive = new Gauge({ name: "petrel_agent_refused_routes", help: "Refused announcements still in force (not withdrawn).", registers: [registry] });
  const held = new Gauge({ name: "petrel_agent_routes_held", help: "1 while the agent cannot verify routes (the cluster is not listed yet): every Petrel route in the kernel is kept, none added or removed.", registers: [registry] });
  const settling = new Gauge({ name: "petrel_agent_routes_settling", help: "1 while BGP settles after a start or a gobgpd restart: no route is removed.", registers: [registry] });
  const best = new Gauge({ name: "petrel_agent_best_paths", help: "Prefixes in gobgpd's best-path table as the agent follows it.", registers: [registry] });
  const ignored = new Gauge({ name: "petrel_agent_cidrs_ignored", help: "Pools and service CIDRs ignored because they are a default route, overlap a pool or contain a node's address.", registers: [registry] });
  const sessions = new Gauge({ name: "petrel_agent_bgp_sessions", help: "BGP sessions by state.", labelNames: ["state"], registers: [registry] });
  const writes = new Counter({ name: "petrel_agent_kube_writes_total", help: "Status writes to the API server.", labelNames: ["kind"], registers: [registry] });
  const forwarding = new Gauge({ name: "petrel_agent_ip_forwarding", help: "1 when node-wide IP forwarding is on for the family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding), 0 when it is off: pods are then unreachable from other nodes.", labelNames: ["family"], registers: [registry] });
  const passes = new Counter({ name: "petrel_agent_passes_total", help: "Passes run, by kind (config, route, full: the anti-entropy comparison, status).", labelNames: ["pass"], registers: [registry] });
  const inconsistencies = new Gauge({
    name: "petrel_agent_ipam_inconsistencies",
    help: "IPAM inconsistencies on this node at the last check, by kind: record_without_pod, pod_without_record, record_outside_blocks, route_without_record, record_without_route. Absent for a kind that could not be checked.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const released = new Counter({ name: "petrel_agent_ipam_released_addresses_total", help: "Addresses of pods that were gone (no CNI DEL) freed by the agent.", registers: [registry] });
  released.inc(0);
  for (const reason of refusalReasons) refused.inc({ reason }, 0);
  for (const op of ["add", "replace", "remove"]) changes.inc({ op }, 0);
  return {
    registry,
    routes: (c) => {
      routes.set({ kind: "via" }, c.via);
      routes.set({ kind: "blackhole" }, c.blackhole);
    },
    routeChanges: (op, n) => changes.inc({ op }, n),
    refused: (reason) => refused.inc({ reason }),
    state: (s) => {
      held.set(s.held ? 1 : 0);
      settling.set(s.settling ? 1 : 0);
      best.set(s.bestPaths);
      refusalsActive.set(s.refusalsActive);
      ignored.set(s.cidrsIgnored);
    },
    sessions: (states) => {
      sessions.reset();
      for (const s of states) sessions.inc({ state: s });
    },
    kubeWrite: (kind) => writes.inc({ kind }),
    pass: (kind) => passes.inc({ pass: kind }),
    inconsistencies: (counts) => {
      for (const kind of inconsistencyKinds) {
        const v = counts[kind];
        if (v === undefined) inconsistencies.remove({ kind });
        else inconsistencies.set({ kind }, v);
      }
    },
    released: (n) => released.inc(n),
    forwarding: (readings) => {
      for (const r of readings) forwarding.set({ family: `ipv${r.family}` }, r.enabled ? 1 : 0);
    },
  };
}
