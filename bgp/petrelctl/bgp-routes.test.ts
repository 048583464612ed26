import type { RoutesView } from "../../common/bgp-routes.ts";
import { sampleView } from "../../common/testing/bgp-routes-sample.ts";
import { agentClientAddress, parseAgentAddress, parseNodeReport, renderBgpRoutes, routesExitCode, type BgpRoutesReport } from "./bgp-routes.ts";

const nodeB: RoutesView = {
  ...sampleView,
  node: "node-b",
  settling: true,
  peers: [{ address: "192.0.2.11", asn: 64512, kind: "NodeMesh", source: "Node node-a", state: "Established", uptimeSeconds: 7300, received: 2, refused: 0, advertised: 1 }],
  advertised: [{ prefix: "198.18.0.64/26", nextHop: "192.0.2.12", kind: "block" }],
  learned: [],
  refused: [],
  refusedTotals: {},
};

const report: BgpRoutesReport = { nodes: [{ node: "node-a", routes: sampleView }, { node: "node-b", routes: nodeB }, { node: "node-c", unavailable: "no Petrel node pod runs on node-c" }] };

describe("renderBgpRoutes", () => {
  test("sessions, advertised, learned and refused routes of every node, then what to know", () => {
    expect(renderBgpRoutes(report, false)).toBe(`\
NODE     PEER          AS      KIND         STATE         UPTIME   RECEIVED   REFUSED   ADVERTISED
node-a   192.0.2.12    64512   NodeMesh     Established   5m5s     1          0         2
node-a   2001:db8::1   65000   GlobalPeer   Active        -        0          0         0
node-b   192.0.2.11    64512   NodeMesh     Established   121m     2          0         1

NODE     ADVERTISED PREFIX   NEXT HOP     KIND
node-a   198.18.0.0/26       192.0.2.11   block
node-a   198.19.0.0/24       192.0.2.11   service
node-b   198.18.0.64/26      192.0.2.12   block

NODE     LEARNED PREFIX   PEER         NEXT HOP     KERNEL
node-a   198.18.0.64/26   192.0.2.12   192.0.2.12   installed
node-a   198.18.1.0/26    192.0.2.12   192.0.2.99   refused (wrong_next_hop)
node-a   198.18.2.0/26    -            192.0.2.13   kept (no best path)

NODE     REFUSED PREFIX   PEER          NEXT HOP      REASON                TIMES   LAST SEEN
node-a   0.0.0.0/0        192.0.2.250   192.0.2.250   default_route         2       5s ago
node-a   198.18.1.0/26    -             -             kernel_route_exists   1       4m5s ago

node-a: refused since its agent started: default_route=2, kernel_route_exists=1
NOTE: node-b: BGP is settling after a start or a gobgpd restart: routes are added but none is removed until it ends
WARNING: node-c: not asked: no Petrel node pod runs on node-c
`);
  });

  test("-o wide: the peer's source, communities, stale, first seen and the refusal's detail", () => {
    const out = renderBgpRoutes({ nodes: [{ node: "node-a", routes: sampleView }] }, true);
    expect(out).toMatch(/^NODE +PEER +AS +KIND +STATE +UPTIME +RECEIVED +REFUSED +ADVERTISED +SOURCE$/m);
    expect(out).toMatch(/^node-a +192\.0\.2\.12 +64512 +NodeMesh +Established +5m5s +1 +0 +2 +Node node-b$/m);
    expect(out).toMatch(/^node-a +198\.19\.0\.0\/24 +192\.0\.2\.11 +service +64512:100$/m);
    expect(out).toMatch(/^node-a +198\.18\.1\.0\/26 +192\.0\.2\.12 +192\.0\.2\.99 +refused \(wrong_next_hop\) +yes$/m);
    expect(out).toMatch(/^node-a +0\.0\.0\.0\/0 +192\.0\.2\.250 +192\.0\.2\.250 +default_route +2 +5s ago +4m5s ago +a default route$/m);
  });

  test("a node with nothing yet says so, and why its sessions are down", () => {
    const bare: RoutesView = { ...sampleView, bgpConfigured: false, routesHeld: true, gobgpdError: "cannot read gobgpd's sessions: UNAVAILABLE", peers: [], advertised: [], learned: [], refused: [], refusedTotals: {} };
    expect(renderBgpRoutes({ nodes: [{ node: "node-a", routes: bare }] }, false)).toBe(`\
No BGP peers configured.

Nothing advertised.

Nothing learned.

No announcement refused (in force).

WARNING: node-a: the agent has not configured gobgpd yet: no session is up; its Ready condition (petrelctl node status node-a) says why
WARNING: node-a: cannot read gobgpd's sessions: UNAVAILABLE; the sessions above show as Idle
WARNING: node-a: the agent cannot verify routes yet (the API server is not listed): every Petrel route in its kernel is kept as it is, none added or removed
`);
  });

  test("no node answered: only why, no empty tables", () => {
    expect(renderBgpRoutes({ nodes: [{ node: "node-c", unavailable: "kubectl exec … failed" }] }, false)).toBe("WARNING: node-c: not asked: kubectl exec … failed\n");
  });

  test("a refused route the kernel still has, and a pending one, say what the kernel holds", () => {
    const v: RoutesView = { ...sampleView, learned: [
      { prefix: "198.18.1.0/26", peer: "192.0.2.12", nextHop: "192.0.2.99", stale: false, state: "refused", reason: "wrong_next_hop", kernelGateway: "192.0.2.12" },
      { prefix: "198.18.3.0/26", peer: "192.0.2.13", nextHop: "192.0.2.13", stale: false, state: "pending", kernelGateway: "192.0.2.12" },
    ] };
    const out = renderBgpRoutes({ nodes: [{ node: "node-a", routes: v }] }, false);
    expect(out).toContain("refused (wrong_next_hop), kernel still via 192.0.2.12\n");
    expect(out).toContain("pending (kernel via 192.0.2.12)\n");
  });
});

describe("parseNodeReport", () => {
  test("one node's report, as bgp routes --local -o json prints it", () => {
    expect(parseNodeReport(JSON.parse(JSON.stringify({ nodes: [{ node: "node-a", routes: sampleView }] })), "node-a")).toEqual({ node: "node-a", routes: sampleView });
    expect(parseNodeReport({ nodes: [{ node: "node-a", unavailable: "x" }] }, "node-a")).toEqual({ node: "node-a", unavailable: "x" });
  });

  test.each([
    [[], /^node-a: expected a report of one node/],
    [{ nodes: [] }, /^node-a: expected a report of one node/],
    [{ nodes: [1] }, /^node-a: nodes\[0\]: expected/],
    [{ nodes: [{ node: "node-a", routes: { ...sampleView, peers: "all" } }] }, /^node-a: nodes\[0\]\.routes\.peers: expected a list/],
  ])("refuses %j, saying where", (raw, message) => {
    expect(() => parseNodeReport(raw, "node-a")).toThrow(message);
  });
});

describe("addresses and exit code", () => {
  test.each([
    [undefined, "127.0.0.1:9095"],
    ["0.0.0.0:9095", "127.0.0.1:9095"],
    [":9200", "127.0.0.1:9200"],
    ["[::]:9095", "[::1]:9095"],
    ["192.0.2.11:9095", "192.0.2.11:9095"],
    ["[2001:db8::1]:9095", "[2001:db8::1]:9095"],
  ])("the agent's --health-address %s is reached at %s", (health, want) => {
    expect(agentClientAddress(health)).toBe(want);
  });

  test("--agent-address is host:port", () => {
    expect(parseAgentAddress("127.0.0.1:9095")).toBe("127.0.0.1:9095");
    expect(parseAgentAddress("[::1]:9095")).toBe("[::1]:9095");
    for (const bad of ["9095", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", "http://127.0.0.1:9095", ""]) {
      expect(() => parseAgentAddress(bad)).toThrow(/^--agent-address: ".*" is not host:port; pass the agent's --health-address as seen from here, e\.g\. 127\.0\.0\.1:9095$/);
    }
  });

  test("1 when a node could not be asked, or none runs Petrel", () => {
    expect(routesExitCode(report)).toBe(1);
    expect(routesExitCode({ nodes: [] })).toBe(1);
    expect(renderBgpRoutes({ nodes: [] }, false)).toMatch(/^WARNING: no node runs Petrel's node pod: kubectl get pods -A/);
    expect(routesExitCode({ nodes: [{ node: "node-a", routes: sampleView }] })).toBe(0);
  });
});
