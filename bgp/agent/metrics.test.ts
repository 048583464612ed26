// The agent's per-peer series as Prometheus scrapes them: values from the peer samples, uptime at
// scrape time, refusals per peer, and no series left behind for a peer that went away.
import { collectDefaultMetrics } from "prom-client";
import { createAgentMetrics, processMetricsOptions } from "./metrics.ts";
import type { PeerSample } from "./peer-sessions.ts";

const sample = (peer: string, state: PeerSample["state"], more: Partial<PeerSample> = {}): PeerSample => ({
  peer, peerAs: 64512, kind: "NodeMesh", source: `Node ${peer}`, state, establishedAtMs: undefined, received: 0, refused: 0, advertised: 0, ...more,
});

let now = 0;
let m: ReturnType<typeof createAgentMetrics>;

beforeEach(() => {
  now = 100_000;
  m = createAgentMetrics("node-a", () => now);
});

/** The scrape's samples of the per-peer series, as `name{labels} value` without the node label. */
async function peerLines(): Promise<string[]> {
  const text = await m.registry.metrics();
  return text.split("\n").filter((l) => l.startsWith("petrel_agent_bgp_peer_")).map((l) => l.replace(/,?node="node-a"/, "").replace("{,", "{")).sort();
}

describe("per-peer metrics", () => {
  test("state set, uptime, received, refused (in force and counted) and advertised for each configured peer", async () => {
    m.peers([sample("192.0.2.12", "Established", { establishedAtMs: 40_000, received: 2, refused: 1, advertised: 3 }), sample("192.0.2.254", "Active", { peerAs: 65000 })]);
    now = 160_500;
    expect(await peerLines()).toEqual([
      'petrel_agent_bgp_peer_refused_routes{peer="192.0.2.12",peer_as="64512"} 1',
      'petrel_agent_bgp_peer_refused_routes{peer="192.0.2.254",peer_as="65000"} 0',
      'petrel_agent_bgp_peer_routes_advertised{peer="192.0.2.12",peer_as="64512"} 3',
      'petrel_agent_bgp_peer_routes_advertised{peer="192.0.2.254",peer_as="65000"} 0',
      'petrel_agent_bgp_peer_routes_received{peer="192.0.2.12",peer_as="64512"} 2',
      'petrel_agent_bgp_peer_routes_received{peer="192.0.2.254",peer_as="65000"} 0',
      'petrel_agent_bgp_peer_routes_refused_total{peer="192.0.2.12",peer_as="64512"} 0',
      'petrel_agent_bgp_peer_routes_refused_total{peer="192.0.2.254",peer_as="65000"} 0',
      ...["Active", "Connect", "Established", "Idle", "OpenConfirm", "OpenSent"].sort().flatMap((s) => [
        `petrel_agent_bgp_peer_state{peer="192.0.2.12",peer_as="64512",state="${s}"} ${s === "Established" ? 1 : 0}`,
        `petrel_agent_bgp_peer_state{peer="192.0.2.254",peer_as="65000",state="${s}"} ${s === "Active" ? 1 : 0}`,
      ]),
      'petrel_agent_bgp_peer_uptime_seconds{peer="192.0.2.12",peer_as="64512"} 120',
      'petrel_agent_bgp_peer_uptime_seconds{peer="192.0.2.254",peer_as="65000"} 0',
    ].sort());
  });

  test("a refusal counts for its peer and its reason; an unknown sender only for the reason", async () => {
    m.peers([sample("192.0.2.250", "Established", { peerAs: 65099 })]);
    m.refused("default_route", "192.0.2.250");
    m.refused("default_route", "192.0.2.250");
    m.refused("own_block", "");
    m.refused("own_block", "192.0.2.77");
    const text = await m.registry.metrics();
    expect(text).toContain('petrel_agent_bgp_peer_routes_refused_total{peer="192.0.2.250",peer_as="65099",node="node-a"} 2');
    expect(text).toContain('petrel_agent_routes_refused_total{reason="default_route",node="node-a"} 2');
    expect(text).toContain('petrel_agent_routes_refused_total{reason="own_block",node="node-a"} 2');
    expect(text).not.toContain('peer="192.0.2.77"');
    expect(text).not.toContain('peer=""');
  });

  test("a peer that goes away takes every series with it; one that changes its AS gets new ones", async () => {
    m.peers([sample("192.0.2.12", "Established", { establishedAtMs: 1 }), sample("192.0.2.13", "Idle")]);
    m.refused("wrong_next_hop", "192.0.2.13");
    m.peers([sample("192.0.2.12", "Established", { establishedAtMs: 1, peerAs: 64513 })]);
    const lines = await peerLines();
    expect(lines.filter((l) => l.includes("192.0.2.13"))).toEqual([]);
    expect(lines.filter((l) => l.includes('peer_as="64512"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('peer="192.0.2.12"')).length).toBe(11);
    m.peers([]);
    expect(await peerLines()).toEqual([]);
  });

  test("a session going down: its state moves, its uptime is 0, its counts are what gobgpd says", async () => {
    m.peers([sample("192.0.2.12", "Established", { establishedAtMs: 1, received: 4 })]);
    m.peers([sample("192.0.2.12", "Active")]);
    const lines = await peerLines();
    expect(lines).toContain('petrel_agent_bgp_peer_state{peer="192.0.2.12",peer_as="64512",state="Active"} 1');
    expect(lines).toContain('petrel_agent_bgp_peer_state{peer="192.0.2.12",peer_as="64512",state="Established"} 0');
    expect(lines).toContain('petrel_agent_bgp_peer_uptime_seconds{peer="192.0.2.12",peer_as="64512"} 0');
    expect(lines).toContain('petrel_agent_bgp_peer_routes_received{peer="192.0.2.12",peer_as="64512"} 0');
  });
});

describe("process metrics", () => {
  test("Node's defaults under the agent's prefix, event-loop lag included, its monitor sampling at most every 100 ms", async () => {
    // 10 ms (prom-client's default) cost an idle agent 0.46 % of a core (metrics.ts).
    expect(processMetricsOptions.eventLoopMonitoringPrecision).toBeGreaterThanOrEqual(100);
    collectDefaultMetrics({ register: m.registry, ...processMetricsOptions });
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining([
      "petrel_agent_process_cpu_seconds_total", "petrel_agent_process_resident_memory_bytes", "petrel_agent_nodejs_heap_size_used_bytes",
      "petrel_agent_nodejs_eventloop_lag_seconds", "petrel_agent_nodejs_eventloop_lag_max_seconds", "petrel_agent_nodejs_eventloop_lag_p99_seconds",
    ]));
  });
});
