import { ago, petrelNode, readyCondition } from "./testing/objects.ts";
import { nodeStatusReport, renderNodeStatus } from "./node-status.ts";

const now = new Date("2026-03-01T12:00:00Z");
const min = 60_000;

const nodeA = petrelNode("node-a", {
  bgpSessions: [
    { peerIP: "192.0.2.12", asNumber: 64512, type: "NodeMesh", state: "Established", since: ago(now, 5 * min + 3000), prefixesReceived: 1, prefixesAdvertised: 1 },
    { peerIP: "192.0.2.2", asNumber: 64512, type: "NodeMesh", state: "Active", since: ago(now, 40_000) },
    { peerIP: "198.51.100.1", asNumber: 65001, type: "GlobalPeer", state: "Established", since: ago(now, 3 * 3_600_000), prefixesReceived: 0, prefixesAdvertised: 2 },
  ],
  conditions: [readyCondition("True")],
  lastHeartbeatTime: ago(now, 12_000),
});
const nodeB = petrelNode("node-b", {
  bgpSessions: [{ peerIP: "192.0.2.11", type: "NodePeer", state: "Idle" }],
  conditions: [readyCondition("False", "GobgpUnreachable", "gobgpd at 127.0.0.1:50051 does not answer")],
  lastHeartbeatTime: ago(now, 30_000),
});

test("one row per session, nodes by name and peers by address", () => {
  const r = nodeStatusReport([nodeB, nodeA], now);
  expect(r.sessions.map((s) => `${s.node} ${s.peerIP}`)).toEqual([
    "node-a 192.0.2.2",
    "node-a 192.0.2.12",
    "node-a 198.51.100.1",
    "node-b 192.0.2.11",
  ]);
  expect(r.sessions[1]).toMatchObject({ type: "NodeMesh", state: "Established", sinceSeconds: 303, peerAS: 64512, prefixesReceived: 1 });
  expect(r.nodes).toEqual([
    { name: "node-a", ready: { status: "True", reason: "AgentReady", message: "" }, lastHeartbeatTime: ago(now, 12_000), heartbeatAgeSeconds: 12, stale: false, sessions: 3, established: 2 },
    expect.objectContaining({ name: "node-b", stale: false, sessions: 1, established: 0 }),
  ]);
  // A fresh node that is not Ready says why.
  expect(r.warnings).toEqual(["node-b: not Ready (GobgpUnreachable): gobgpd at 127.0.0.1:50051 does not answer"]);
});

test("the table reads like calicoctl node status, with a line per node", () => {
  const text = renderNodeStatus(nodeStatusReport([nodeA, nodeB], now));
  expect(text).toBe(
    [
      "NODE     PEER ADDRESS   PEER TYPE    STATE         SINCE   PREFIXES RECEIVED/ADVERTISED",
      "node-a   192.0.2.2      NodeMesh     Active        40s     -/-",
      "node-a   192.0.2.12     NodeMesh     Established   5m3s    1/1",
      "node-a   198.51.100.1   GlobalPeer   Established   3h      0/2",
      "node-b   192.0.2.11     NodePeer     Idle          -       -/-",
      "",
      "NODE     READY                      HEARTBEAT   SESSIONS ESTABLISHED",
      "node-a   True                       12s ago     2/3",
      "node-b   False (GobgpUnreachable)   30s ago     0/1",
      "",
      "WARNING: node-b: not Ready (GobgpUnreachable): gobgpd at 127.0.0.1:50051 does not answer",
      "",
    ].join("\n"),
  );
});

test("a heartbeat older than the limit is stale and warned about; so is a node that never reported", () => {
  const old = petrelNode("node-old", { conditions: [readyCondition("True")], lastHeartbeatTime: ago(now, 4 * min + 10_000) });
  const never = petrelNode("node-new");
  const r = nodeStatusReport([old, never, nodeA], now);
  expect(r.nodes.map((n) => [n.name, n.stale])).toEqual([["node-a", false], ["node-new", true], ["node-old", true]]);
  expect(r.warnings).toHaveLength(2);
  expect(r.warnings[0]).toMatch(/^node-new: no heartbeat: the node's agent has never reported/);
  expect(r.warnings[1]).toMatch(/^node-old: heartbeat 4m10s ago \(older than 3m\): the node's agent is not running or cannot reach the API server/);
  expect(r.warnings[1]).toContain("--field-selector spec.nodeName=node-old");
  const text = renderNodeStatus(r);
  expect(text).toContain("node-old   True      4m10s ago (stale)   0/0");
  expect(text).toContain("node-new   Unknown   never               0/0");
  expect(text).toContain("WARNING: node-old: heartbeat 4m10s ago");
  // The limit is a parameter (--stale-after).
  expect(nodeStatusReport([old], now, 5 * min).warnings).toEqual([]);
  // Exactly at the limit is not yet stale.
  expect(nodeStatusReport([petrelNode("x", { lastHeartbeatTime: ago(now, 3 * min) })], now).nodes[0]?.stale).toBe(false);
});

test("no nodes, and nodes without sessions", () => {
  expect(renderNodeStatus(nodeStatusReport([], now))).toMatch(/^No PetrelNodes found: .*petrel-controller/);
  const text = renderNodeStatus(nodeStatusReport([petrelNode("solo", { conditions: [readyCondition("True")], lastHeartbeatTime: ago(now, 1000) })], now));
  expect(text).toBe("No BGP sessions reported.\n\nNODE   READY   HEARTBEAT   SESSIONS ESTABLISHED\nsolo   True    1s ago      0/0\n");
});

test("a False condition other than Ready is warned about with its reason and message", () => {
  const forwardingOff = { type: "IPForwarding", status: "False" as const, reason: "ForwardingDisabled", message: "net.ipv4.ip_forward is 0", lastTransitionTime: ago(now, 1000) };
  const n = petrelNode("node-c", { conditions: [readyCondition("True"), forwardingOff], lastHeartbeatTime: ago(now, 1000) });
  expect(nodeStatusReport([n], now).warnings).toEqual(["node-c: IPForwarding False (ForwardingDisabled): net.ipv4.ip_forward is 0"]);
  const on = petrelNode("node-c", { conditions: [readyCondition("True"), { ...forwardingOff, status: "True", reason: "Enabled" }], lastHeartbeatTime: ago(now, 1000) });
  expect(nodeStatusReport([on], now).warnings).toEqual([]);
});
