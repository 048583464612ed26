import type { PetrelNode } from "../../common/api/index.ts";
import { nodeStatusReport, renderNodeStatus } from "./node-status.ts";
import { refusedRoutesReport, renderRefusedRoutes } from "./refused-routes.ts";

const now = new Date("2026-03-04T05:10:00Z");

const node: PetrelNode = {
  apiVersion: "petrel.dev/v1alpha1", kind: "PetrelNode", metadata: { name: "node-a" },
  status: {
    lastHeartbeatTime: "2026-03-04T05:09:50Z",
    routes: { installed: 12, blackholes: 2, refused: 5, refusedByReason: { default_route: 1, longer_than_block: 4, own_block: 0 } },
    refusedRoutes: [
      { peerIP: "192.0.2.250", prefix: "198.18.0.5/32", nextHop: "192.0.2.250", reason: "longer_than_block", message: "…", firstSeen: "2026-03-04T05:00:00Z", lastSeen: "2026-03-04T05:09:00Z", count: 4 },
      { peerIP: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", lastSeen: "2026-03-04T05:08:00Z", count: 1 },
    ],
  },
};

describe("refused routes", () => {
  it("lists each node's counts and the refusals in force", () => {
    const r = refusedRoutesReport([node], now);
    expect(r.counts).toEqual([{ node: "node-a", installed: 12, blackholes: 2, refused: 5, refusedByReason: { default_route: 1, longer_than_block: 4, own_block: 0 } }]);
    expect(r.refused.map((x) => [x.prefix, x.reason, x.lastSeenSeconds])).toEqual([["198.18.0.5/32", "longer_than_block", 60], ["0.0.0.0/0", "default_route", 120]]);
    expect(renderRefusedRoutes(r)).toBe([
      "NODE     ROUTES   BLACKHOLES   REFUSED   REFUSED BY REASON",
      "node-a   12       2            5         default_route=1,longer_than_block=4",
      "",
      "NODE     PEER          REFUSED PREFIX   NEXT HOP      REASON              TIMES   LAST SEEN",
      "node-a   192.0.2.250   198.18.0.5/32    192.0.2.250   longer_than_block   4       60s ago",
      "node-a   192.0.2.250   0.0.0.0/0        192.0.2.250   default_route       1       2m ago",
      "",
    ].join("\n"));
  });

  it("is part of node status, and absent for agents that report no routes", () => {
    expect(renderNodeStatus(nodeStatusReport([node], now))).toContain("REFUSED PREFIX");
    const old: PetrelNode = { ...node, status: { lastHeartbeatTime: "2026-03-04T05:09:50Z" } };
    expect(renderRefusedRoutes(refusedRoutesReport([old], now))).toBe("");
  });
});
