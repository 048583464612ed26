/**
 * The agent's Prometheus metrics (prom-client), on their own registry. Listed in docs/metrics.md.
 * The process metrics (prom-client's default collectors read /proc) are added by main.ts, with
 * `processMetricsOptions`.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { AgentMetrics } from "./agent.ts";
import { inconsistencyKinds } from "./ipam-consistency.ts";
import { goneLabelSets, peerLabels, stateValues, uptimeSeconds, type PeerSample } from "./peer-sessions.ts";
import type { PodGcMetrics } from "./pod-gc.ts";
import { refusalReasons } from "./route-trust.ts";

/**
 * prom-client's default collectors (main.ts) as the agent runs them: the `petrel_agent_` prefix,
 * and the event-loop delay sampled every 100 ms instead of prom-client's 10 ms. Its monitor
 * (perf_hooks.monitorEventLoopDelay) is a timer that wakes the process at that rate, which was
 * the largest single cost of an idle agent: 0.46 % of a core at 10 ms, 0.06 % at 100 ms, 0.01 %
 * at 1 s (Node 24, an otherwise idle process, 20 s each; the goal for an idle agent is < 1 %,
 * docs/bench-routes.md). At 100 ms every stall of 100 ms or more still shows in the lag
 * histogram's max and percentiles; shorter ones show only in part.
 */
export const processMetricsOptions = { prefix: "petrel_agent_", eventLoopMonitoringPrecision: 100 } as const;

export function createAgentMetrics(node: string, now: () => number = Date.now): AgentMetrics & PodGcMetrics & { registry: Registry } {
  const registry = new Registry();
  registry.setDefaultLabels({ node });
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
  // Per peer (the peers the node is configured with): labels peer (address) and peer_as. A peer
  // that goes away takes its series with it.
  const peerLabelNames = ["peer", "peer_as"] as const;
  const peerState = new Gauge({ name: "petrel_agent_bgp_peer_state", help: "1 for the BGP session's current FSM state (Idle, Connect, Active, OpenSent, OpenConfirm, Established), 0 for the others; per configured peer.", labelNames: [...peerLabelNames, "state"], registers: [registry] });
  let peers: readonly PeerSample[] = [];
  new Gauge({
    name: "petrel_agent_bgp_peer_uptime_seconds",
    help: "Seconds since the BGP session reached Established; 0 while it is not Established.",
    labelNames: peerLabelNames,
    registers: [registry],
    collect() {
      this.reset();
      const at = now();
      for (const p of peers) this.set(peerLabels(p), uptimeSeconds(p, at));
    },
  });
  const peerReceived = new Gauge({ name: "petrel_agent_bgp_peer_routes_received", help: "Prefixes the peer has sent and not withdrawn, before the import policy (gobgpd's adj-RIB-in); those refused are in petrel_agent_bgp_peer_refused_routes.", labelNames: peerLabelNames, registers: [registry] });
  const peerRefusedNow = new Gauge({ name: "petrel_agent_bgp_peer_refused_routes", help: "Announcements from the peer refused by route trust and still in force (not withdrawn).", labelNames: peerLabelNames, registers: [registry] });
  const peerAdvertised = new Gauge({ name: "petrel_agent_bgp_peer_routes_advertised", help: "Prefixes advertised to the peer.", labelNames: peerLabelNames, registers: [registry] });
  const peerRefused = new Counter({ name: "petrel_agent_bgp_peer_routes_refused_total", help: "Route announcements from the peer refused by route trust (by reason: petrel_agent_routes_refused_total).", labelNames: peerLabelNames, registers: [registry] });
  const peerGauges = [peerReceived, peerRefusedNow, peerAdvertised];
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
    refused: (reason, peer) => {
      refused.inc({ reason });
      // Only a configured peer has series (an unknown sender would make one nobody removes).
      const p = peers.find((x) => x.peer === peer);
      if (p !== undefined) peerRefused.inc(peerLabels(p));
    },
    peers: (samples) => {
      const before = peers.map(peerLabels);
      for (const gone of goneLabelSets(before, samples.map(peerLabels))) {
        for (const s of stateValues("Idle")) peerState.remove({ ...gone, state: s.state });
        for (const g of peerGauges) g.remove(gone);
        peerRefused.remove(gone);
      }
      for (const p of samples) {
        const labels = peerLabels(p);
        for (const s of stateValues(p.state)) peerState.set({ ...labels, state: s.state }, s.value);
        peerReceived.set(labels, p.received);
        peerRefusedNow.set(labels, p.refused);
        peerAdvertised.set(labels, p.advertised);
        peerRefused.inc(labels, 0);
      }
      peers = samples;
    },
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
