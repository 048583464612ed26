import { ReceivedAudit, type PeerCounts } from "./received-audit.ts";
import type { Verdict } from "./route-trust.ts";

const rogue = "192.0.2.250";
const peer = (over: Partial<PeerCounts> = {}): PeerCounts => ({ address: rogue, established: true, received: 3, accepted: 1, updates: 5, ...over });
// A stand-in for route trust: /26s via .12 are accepted, anything else is refused.
const verdict = (prefix: string, nextHop: string): Verdict =>
  prefix.endsWith("/26") && nextHop === "192.0.2.12" ? { accept: true } : { accept: false, reason: prefix.endsWith("/32") ? "longer_than_block" : "wrong_next_hop", detail: "x" };

describe("ReceivedAudit", () => {
  it("lists a peer that sent something, and only when its counters moved", () => {
    const a = new ReceivedAudit();
    expect(a.plan([peer({ received: 0, accepted: 0 })])).toEqual({ list: [], clear: [] });
    // gobgpd 3.10's accepted leaves in what the import policy rejects: received == accepted proves nothing.
    expect(a.plan([peer({ received: 2, accepted: 2 })])).toEqual({ list: [rogue], clear: [] });
    expect(a.plan([peer()])).toEqual({ list: [rogue], clear: [] });
    a.judge(peer(), [{ prefix: "198.18.1.0/26", nextHop: "192.0.2.12" }, { prefix: "198.18.1.5/32", nextHop: rogue }, { prefix: "198.18.2.0/26", nextHop: rogue }], verdict);
    expect(a.plan([peer()])).toEqual({ list: [], clear: [] }); // nothing new
    expect(a.plan([peer({ updates: 6 })]).list).toEqual([rogue]); // it sent something
    expect(a.plan([peer({ accepted: 2 })]).list).toEqual([rogue]); // a policy change took one in
  });

  it("counts a refused path once, again when its next hop changes, and ends what is gone or accepted", () => {
    const a = new ReceivedAudit();
    a.plan([peer()]);
    const first = a.judge(peer(), [{ prefix: "198.18.1.5/32", nextHop: rogue }, { prefix: "198.18.2.0/26", nextHop: rogue }], verdict);
    expect(first.record.map((r) => [r.prefix, r.reason])).toEqual([["198.18.1.5/32", "longer_than_block"], ["198.18.2.0/26", "wrong_next_hop"]]);
    expect(first.clear).toEqual([]);
    const again = a.judge(peer({ updates: 6 }), [
      { prefix: "198.18.1.5/32", nextHop: rogue }, // the same: not counted again
      { prefix: "198.18.2.0/26", nextHop: "192.0.2.12" }, // accepted now
      { prefix: "198.18.3.0/26", nextHop: "192.0.2.99" },
    ], verdict);
    expect(again.record.map((r) => r.prefix)).toEqual(["198.18.3.0/26"]);
    expect(again.clear).toEqual(["198.18.2.0/26"]);
    const moved = a.judge(peer({ updates: 7 }), [{ prefix: "198.18.1.5/32", nextHop: "192.0.2.98" }], verdict);
    expect(moved.record.map((r) => [r.prefix, r.nextHop])).toEqual([["198.18.1.5/32", "192.0.2.98"]]);
    expect(moved.clear).toEqual(["198.18.3.0/26"]);
  });

  it("ends a peer's refusals when it withdraws all it sent, its session goes down, or it goes away", () => {
    for (const next of [[peer({ received: 0, accepted: 0 })], [peer({ established: false })], []]) {
      const a = new ReceivedAudit();
      a.plan([peer()]);
      a.judge(peer(), [{ prefix: "198.18.1.5/32", nextHop: rogue }], verdict);
      expect(a.plan(next)).toEqual({ list: [], clear: [{ peer: rogue, prefixes: ["198.18.1.5/32"] }] });
      expect(a.plan(next)).toEqual({ list: [], clear: [] }); // said once
    }
  });

  it("a peer whose listing found nothing refused needs no clearing later", () => {
    const a = new ReceivedAudit();
    a.plan([peer()]);
    a.judge(peer(), [{ prefix: "198.18.1.0/26", nextHop: "192.0.2.12" }], verdict);
    expect(a.plan([peer({ received: 0, accepted: 0 })])).toEqual({ list: [], clear: [] });
  });
});
