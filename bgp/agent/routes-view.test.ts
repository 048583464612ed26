import { parseRoutesView } from "../../common/bgp-routes.ts";
import { byPrefix, routesView, type RoutesViewInputs } from "./routes-view.ts";

const inputs = (more: Partial<RoutesViewInputs> = {}): RoutesViewInputs => ({
  node: "node-a",
  now: Date.parse("2026-01-02T03:04:05.678Z"),
  bgpConfigured: true,
  routesHeld: false,
  settling: false,
  peers: [
    { peer: "192.0.2.12", peerAs: 64512, kind: "NodeMesh", source: "Node node-b", state: "Established", establishedAtMs: Date.parse("2026-01-02T03:00:00Z"), received: 2, refused: 1, advertised: 2 },
    { peer: "192.0.2.250", peerAs: 65099, kind: "GlobalPeer", source: "BGPPeer rogue", state: "OpenSent", establishedAtMs: undefined, received: 0, refused: 0, advertised: 0 },
  ],
  advertised: [
    { prefix: "198.18.0.64/26", nextHop: "192.0.2.11", communities: [], largeCommunities: [] },
    { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: [], largeCommunities: [] },
    { prefix: "198.19.0.0/24", nextHop: "192.0.2.11", communities: ["64512:100"], largeCommunities: [] },
  ],
  ownBlocks: new Set(["198.18.0.0/26", "198.18.0.64/26"]),
  best: [
    { prefix: "198.18.1.0/26", nextHop: "192.0.2.12", peer: "192.0.2.12", stale: false },
    { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", peer: undefined, stale: false },
    { prefix: "198.18.10.0/26", nextHop: "192.0.2.12", peer: "192.0.2.12", stale: true },
    { prefix: "198.18.2.0/26", nextHop: "192.0.2.99", peer: "192.0.2.12", stale: false },
    { prefix: "198.18.3.0/26", nextHop: "192.0.2.13", peer: "192.0.2.13", stale: false },
  ],
  kernel: new Map([
    ["198.18.0.0/26", { prefix: "198.18.0.0/26", kind: "blackhole" as const }],
    ["198.18.1.0/26", { prefix: "198.18.1.0/26", kind: "via" as const, gateway: "192.0.2.12" }],
    ["198.18.2.0/26", { prefix: "198.18.2.0/26", kind: "via" as const, gateway: "192.0.2.12" }],
    ["198.18.3.0/26", { prefix: "198.18.3.0/26", kind: "via" as const, gateway: "192.0.2.12" }],
    ["198.18.9.0/26", { prefix: "198.18.9.0/26", kind: "via" as const, gateway: "192.0.2.14" }],
  ]),
  engineRefusals: [{ prefix: "198.18.2.0/26", peer: "192.0.2.12", nextHop: "192.0.2.99", reason: "wrong_next_hop", detail: "not the owner" }],
  refusals: [
    { peer: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", detail: "a default route", firstSeen: Date.parse("2026-01-02T03:01:00Z"), lastSeen: Date.parse("2026-01-02T03:02:00.5Z"), times: 2 },
    { peer: "", prefix: "198.18.4.0/26", nextHop: "", reason: "kernel_route_exists", detail: "not ours", firstSeen: 0, lastSeen: 0, times: 1 },
  ],
  refusalsDropped: 3,
  refusedTotals: new Map([["wrong_next_hop", 1], ["default_route", 2], ["own_block", 0]]),
  ...more,
});

describe("routesView", () => {
  test("sessions, advertised paths, learned routes with their kernel state, refusals in force", () => {
    const v = routesView(inputs());
    expect(v.generatedAt).toBe("2026-01-02T03:04:05Z");
    expect(v.peers).toEqual([
      { address: "192.0.2.12", asn: 64512, kind: "NodeMesh", source: "Node node-b", state: "Established", uptimeSeconds: 245, received: 2, refused: 1, advertised: 2 },
      { address: "192.0.2.250", asn: 65099, kind: "GlobalPeer", source: "BGPPeer rogue", state: "OpenSent", received: 0, refused: 0, advertised: 0 },
    ]);
    expect(v.advertised).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", kind: "block" },
      { prefix: "198.18.0.64/26", nextHop: "192.0.2.11", kind: "block" },
      { prefix: "198.19.0.0/24", nextHop: "192.0.2.11", kind: "service", communities: ["64512:100"] },
    ]);
    // In numeric order (198.18.10.0 after 198.18.9.0); the node's own path is not learned.
    expect(v.learned).toEqual([
      { prefix: "198.18.1.0/26", peer: "192.0.2.12", nextHop: "192.0.2.12", stale: false, state: "installed", kernelGateway: "192.0.2.12" },
      { prefix: "198.18.2.0/26", peer: "192.0.2.12", nextHop: "192.0.2.99", stale: false, state: "refused", kernelGateway: "192.0.2.12", reason: "wrong_next_hop" },
      { prefix: "198.18.3.0/26", peer: "192.0.2.13", nextHop: "192.0.2.13", stale: false, state: "pending", kernelGateway: "192.0.2.12" },
      { prefix: "198.18.9.0/26", nextHop: "192.0.2.14", stale: false, state: "kept", kernelGateway: "192.0.2.14" },
      { prefix: "198.18.10.0/26", peer: "192.0.2.12", nextHop: "192.0.2.12", stale: true, state: "pending" },
    ]);
    expect(v.refused).toEqual([
      { peer: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", detail: "a default route", times: 2, firstSeen: "2026-01-02T03:01:00Z", lastSeen: "2026-01-02T03:02:00Z" },
      { prefix: "198.18.4.0/26", reason: "kernel_route_exists", detail: "not ours", times: 1, firstSeen: "1970-01-01T00:00:00Z", lastSeen: "1970-01-01T00:00:00Z" },
    ]);
    expect(v.refusedTotals).toEqual({ default_route: 2, wrong_next_hop: 1 });
    expect(v.refusedDropped).toBe(3);
  });

  test("what the agent serves is what petrelctl's parser accepts, unchanged", () => {
    const v = routesView(inputs({ gobgpdError: "cannot read gobgpd's sessions: UNAVAILABLE" }));
    expect(parseRoutesView(JSON.parse(JSON.stringify(v)))).toEqual(v);
  });

  test("before the kernel is listed and with nothing configured: empty lists, not errors", () => {
    const v = routesView(inputs({ bgpConfigured: false, routesHeld: true, peers: [], advertised: [], best: [], kernel: undefined, engineRefusals: [], refusals: [], refusalsDropped: 0, refusedTotals: new Map() }));
    expect(v).toMatchObject({ bgpConfigured: false, routesHeld: true, peers: [], advertised: [], learned: [], refused: [], refusedTotals: {} });
  });
});

describe("byPrefix", () => {
  test("IPv4 before IPv6, by network then length; anything unreadable last", () => {
    const order = byPrefix(["2001:db8::/64", "x", "198.18.10.0/26", "198.18.2.0/26", "198.18.2.0/24", "0.0.0.0/0"], (p) => p);
    expect(order).toEqual(["0.0.0.0/0", "198.18.2.0/24", "198.18.2.0/26", "198.18.10.0/26", "2001:db8::/64", "x"]);
  });
});
