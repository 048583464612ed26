import type { DesiredPeer } from "./desired-bgp.ts";
import { goneLabelSets, peerLabels, peerSamples, stateValues, uptimeSeconds } from "./peer-sessions.ts";
import { peerStatus } from "./testing/fixtures.ts";

const peer = (address: string, asn = 64512, kind: DesiredPeer["kind"] = "NodeMesh"): DesiredPeer => ({ address, asn, kind, source: `Node ${address}` });

describe("peerSamples", () => {
  test("one sample per configured peer, joined with gobgpd's session by address", () => {
    const since = new Date(1_000_000);
    const samples = peerSamples(
      [peer("192.0.2.12"), peer("192.0.2.254", 65000, "GlobalPeer")],
      [peerStatus("192.0.2.254", "Active"), peerStatus("192.0.2.12", "Established", { since, accepted: 3, advertised: 2 }), peerStatus("192.0.2.99", "Established")],
      new Map([["192.0.2.254", 2], ["192.0.2.99", 5]]),
    );
    expect(samples).toEqual([
      { peer: "192.0.2.12", peerAs: 64512, kind: "NodeMesh", source: "Node 192.0.2.12", state: "Established", establishedAtMs: 1_000_000, received: 3, refused: 0, advertised: 2 },
      { peer: "192.0.2.254", peerAs: 65000, kind: "GlobalPeer", source: "Node 192.0.2.254", state: "Active", establishedAtMs: undefined, received: 0, refused: 2, advertised: 0 },
    ]);
  });

  test("a peer gobgpd does not have, or reports as Unknown, is Idle; a peer configured twice is one sample", () => {
    const samples = peerSamples([peer("192.0.2.12"), peer("192.0.2.13"), peer("192.0.2.13", 65001)], [peerStatus("192.0.2.13", "Unknown")]);
    expect(samples.map((s) => [s.peer, s.peerAs, s.state])).toEqual([["192.0.2.12", 64512, "Idle"], ["192.0.2.13", 64512, "Idle"]]);
  });

  test("received is gobgpd's adj-RIB-in count (its own accepted leaves in what the import policy rejects)", () => {
    const s = { ...peerStatus("192.0.2.250", "Established"), prefixes: { received: 7, accepted: 6, advertised: 1 } };
    expect(peerSamples([peer("192.0.2.250", 65099)], [s], new Map([["192.0.2.250", 6]]))[0]).toMatchObject({ received: 7, refused: 6, advertised: 1 });
  });
});

describe("uptimeSeconds", () => {
  test("whole seconds while Established, 0 otherwise, never negative", () => {
    expect(uptimeSeconds({ state: "Established", establishedAtMs: 10_000 }, 75_900)).toBe(65);
    expect(uptimeSeconds({ state: "Established", establishedAtMs: 10_000 }, 9_000)).toBe(0);
    expect(uptimeSeconds({ state: "Established", establishedAtMs: undefined }, 9_000)).toBe(0);
    expect(uptimeSeconds({ state: "Active", establishedAtMs: 10_000 }, 75_900)).toBe(0);
  });
});

describe("labels", () => {
  test("peer is the address, peer_as the AS", () => {
    expect(peerLabels({ peer: "2001:db8::1", peerAs: 4_200_000_000 })).toEqual({ peer: "2001:db8::1", peer_as: "4200000000" });
  });

  test("the label sets that went away: a removed peer, and a peer whose AS changed", () => {
    const before = [{ peer: "a", peer_as: "1" }, { peer: "b", peer_as: "1" }, { peer: "c", peer_as: "1" }];
    const after = [{ peer_as: "1", peer: "a" }, { peer: "c", peer_as: "2" }];
    expect(goneLabelSets(before, after)).toEqual([{ peer: "b", peer_as: "1" }, { peer: "c", peer_as: "1" }]);
  });

  test("the state set: 1 for the current state, 0 for the five others", () => {
    expect(stateValues("Active")).toEqual([
      { state: "Idle", value: 0 }, { state: "Connect", value: 0 }, { state: "Active", value: 1 },
      { state: "OpenSent", value: 0 }, { state: "OpenConfirm", value: 0 }, { state: "Established", value: 0 },
    ]);
  });
});
