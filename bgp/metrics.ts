/** The agent's Prometheus metrics (prom-client), on their own registry. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { AgentMetrics } from "./agent/agent.ts";
import { inconsistencyKinds } from "./agent/ipam-consistency.ts";
import type { PodGcMetrics } from "./agent/pod-gc.ts";

export function createAgentMetrics(node: string): AgentMetrics & PodGcMetrics & { registry: Registry } {
  const registry = new Registry();
  registry.setDefaultLabels({ node });
  collectDefaultMetrics({ register: registry, prefix: "petrel_agent_" });
  const routes = new Gauge({ name: "petrel_agent_routes", help: "Petrel routes the node should have, by kind (via a peer, blackhole for own blocks).", labelNames: ["kind"], registers: [registry] });
  const changes = new Counter({ name: "petrel_agent_route_changes_total", help: "Kernel route changes made, by operation.", labelNames: ["op"], registers: [registry] });
  const sessions = new Gauge({ name: "petrel_agent_bgp_sessions", help: "BGP sessions by state.", labelNames: ["state"], registers: [registry] });
  const forwarding = new Gauge({ name: "petrel_agent_ip_forwarding", help: "1 when node-wide IP forwarding is on for the family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding), 0 when it is off: pods are then unreachable from other nodes.", labelNames: ["family"], registers: [registry] });
  const writes = new Counter({ name: "petrel_agent_kube_writes_total", help: "Status writes to the API server.", labelNames: ["kind"], registers: [registry] });
  const inconsistencies = new Gauge({
    name: "petrel_agent_ipam_inconsistencies",
    help: "IPAM inconsistencies on this node at the last check, by kind: record_without_pod, pod_without_record, record_outside_blocks, route_without_record, record_without_route. Absent for a kind that could not be checked.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const released = new Counter({ name: "petrel_agent_ipam_released_addresses_total", help: "Addresses of pods that were gone (no CNI DEL) freed by the agent.", registers: [registry] });
  released.inc(0);
  return {
    registry,
    routes: (c) => {
      routes.set({ kind: "via" }, c.via);
      routes.set({ kind: "blackhole" }, c.blackhole);
    },
    routeChanges: (replaced, removed) => {
      changes.inc({ op: "replace" }, replaced);
      changes.inc({ op: "remove" }, removed);
    },
    sessions: (states) => {
      sessions.reset();
      for (const s of states) sessions.inc({ state: s });
    },
    kubeWrite: (kind) => writes.inc({ kind }),
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
