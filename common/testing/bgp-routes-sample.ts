// A routes view as an agent serves it (common/bgp-routes.ts), for the parser's and the renderer's tests.
import type { RoutesView } from "../bgp-routes.ts";

export const sampleView: RoutesView = {
  version: 1,
  node: "node-a",
  generatedAt: "2026-01-02T03:04:05Z",
  bgpConfigured: true,
  routesHeld: false,
  settling: false,
  peers: [
    { address: "192.0.2.12", asn: 64512, kind: "NodeMesh", source: "Node node-b", state: "Established", uptimeSeconds: 305, received: 1, refused: 0, advertised: 2 },
    { address: "2001:db8::1", asn: 65000, kind: "GlobalPeer", source: "BGPPeer tor", state: "Active", received: 0, refused: 0, advertised: 0 },
  ],
  advertised: [
    { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", kind: "block" },
    { prefix: "198.19.0.0/24", nextHop: "192.0.2.11", kind: "service", communities: ["64512:100"] },
  ],
  learned: [
    { prefix: "198.18.0.64/26", peer: "192.0.2.12", nextHop: "192.0.2.12", stale: false, state: "installed", kernelGateway: "192.0.2.12" },
    { prefix: "198.18.1.0/26", peer: "192.0.2.12", nextHop: "192.0.2.99", stale: true, state: "refused", reason: "wrong_next_hop" },
    { prefix: "198.18.2.0/26", nextHop: "192.0.2.13", stale: false, state: "kept", kernelGateway: "192.0.2.13" },
  ],
  refused: [
    { peer: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", detail: "a default route", times: 2, firstSeen: "2026-01-02T03:00:00Z", lastSeen: "2026-01-02T03:04:00Z" },
    { prefix: "198.18.1.0/26", reason: "kernel_route_exists", detail: "the kernel has a route", times: 1, firstSeen: "2026-01-02T03:00:00Z", lastSeen: "2026-01-02T03:00:00Z" },
  ],
  refusedDropped: 0,
  refusedTotals: { default_route: 2, kernel_route_exists: 1 },
};
