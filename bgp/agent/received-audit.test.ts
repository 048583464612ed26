import { ReceivedAudit, allBest, type PeerCounts } from "./received-audit.ts";
import type { Verdict } from "./route-trust.ts";

const rogue = "192.0.2.250";
const peer = (over: Partial<PeerCounts> = {}): PeerCounts => ({ address: rogue, established: true, updates: 5, ...over });
// A stand-in for route trust: /26s via .12 are accepted, anything else is refused.
const verdict = (prefix: string, nextHop: string): Verdict =>
  prefix.endsWith("/26") && nextHop === "192.0.2.12" ? { accept: true } : { accept: false, reason: prefix.endsWith("/32") ? "longer_than_block" : "wrong_next_hop", detail: "x" };

describe("ReceivedAudit", () => {
  it("lists a peer once its counter stands still after UPDATEs: one listing per burst", () => {
    const a = new ReceivedAudit({ minIntervalMs: 5_000, busyIntervalMs: 60_000 });
    expect(a.plan([peer({ updates: 0 })], 0)).toEqual({ list: [], clear: [] }); // first look: sent nothing yet
    expect(a.plan([peer({ updates: 3_000 })], 5_000).list).toEqual([]); // a burst arriving
    expect(a.plan([peer({ updates: 10_000 })], 10_000).list).toEqual([]); // still arriving
    expect(a.plan([peer({ updates: 10_000 })], 15_000).list).toEqual([rogue]); // stood still: list it
    a.judge(peer({ updates: 10_000 }), [{ prefix: "198.18.1.0/26", nextHop: "192.0.2.12" }], verdict, 15_000);
    expect(a.plan([peer({ updates: 10_000 })], 20_000).list).toEqual([]); // nothing new: not listed again
    expect(a.plan([peer({ updates: 10_000 })], 90_000).list).toEqual([]);
  });

  it("a peer seen for the first time with UPDATEs already counted waits one look, then is listed", () => {
    const a = new ReceivedAudit({ minIntervalMs: 5_000 });
    expect(a.plan([peer()], 0).list).toEqual([]);
    expect(a.plan([peer()], 1_000).list).toEqual([]); // still, but sooner than the minimum interval
    expect(a.plan([peer()], 5_000).list).toEqual([rogue]);
  });

  it("a peer that never stops sending is listed once per busy interval, no more", () => {
    const a = new ReceivedAudit({ minIntervalMs: 5_000, busyIntervalMs: 30_000 });
    const listedAt: number[] = [];
    for (let t = 0, updates = 1; t <= 100_000; t += 5_000, updates += 7) {
      if (a.plan([peer({ updates })], t).list.length > 0) {
        listedAt.push(t);
        a.judge(peer({ updates }), [], verdict, t);
      }
    }
    expect(listedAt).toEqual([30_000, 60_000, 90_000]);
  });

  it("an UPDATE that races the listing is looked at again", () => {
    const a = new ReceivedAudit({ minIntervalMs: 0 });
    a.plan([peer({ updates: 5 })], 0);
    expect(a.plan([peer({ updates: 5 })], 1).list).toEqual([rogue]);
    a.judge(peer({ updates: 5 }), [], verdict, 1); // counted 5 before listing; a 6th arrived meanwhile
    expect(a.plan([peer({ updates: 6 })], 2).list).toEqual([]); // moved since the last look
    expect(a.plan([peer({ updates: 6 })], 3).list).toEqual([rogue]);
  });

  it("counts a refused path once, again when its next hop changes, and ends what is gone or accepted", () => {
    const a = new ReceivedAudit({ minIntervalMs: 0 });
    a.plan([peer()], 0);
    const first = a.judge(peer(), [{ prefix: "198.18.1.5/32", nextHop: rogue }, { prefix: "198.18.2.0/26", nextHop: rogue }], verdict, 0);
    expect(first.record.map((r) => [r.prefix, r.reason])).toEqual([["198.18.1.5/32", "longer_than_block"], ["198.18.2.0/26", "wrong_next_hop"]]);
    expect(first.clear).toEqual([]);
    const again = a.judge(peer({ updates: 6 }), [
      { prefix: "198.18.1.5/32", nextHop: rogue }, // the same: not counted again
      { prefix: "198.18.2.0/26", nextHop: "192.0.2.12" }, // accepted now
      { prefix: "198.18.3.0/26", nextHop: "192.0.2.99" },
    ], verdict, 1);
    expect(again.record.map((r) => r.prefix)).toEqual(["198.18.3.0/26"]);
    expect(again.clear).toEqual(["198.18.2.0/26"]);
    const moved = a.judge(peer({ updates: 7 }), [{ prefix: "198.18.1.5/32", nextHop: "192.0.2.98" }], verdict, 2);
    expect(moved.record.map((r) => [r.prefix, r.nextHop])).toEqual([["198.18.1.5/32", "192.0.2.98"]]);
    expect(moved.clear).toEqual(["198.18.3.0/26"]);
  });

  it("ends a peer's refusals when its session goes down or it goes away, once", () => {
    for (const next of [[peer({ established: false })], []]) {
      const a = new ReceivedAudit({ minIntervalMs: 0 });
      a.plan([peer()], 0);
      a.judge(peer(), [{ prefix: "198.18.1.5/32", nextHop: rogue }], verdict, 0);
      expect(a.plan(next, 1)).toEqual({ list: [], clear: [{ peer: rogue, prefixes: ["198.18.1.5/32"] }] });
      expect(a.plan(next, 2)).toEqual({ list: [], clear: [] });
    }
  });

  it("a peer whose listing found nothing refused needs no clearing later", () => {
    const a = new ReceivedAudit({ minIntervalMs: 0 });
    a.plan([peer()], 0);
    a.judge(peer(), [{ prefix: "198.18.1.0/26", nextHop: "192.0.2.12" }], verdict, 0);
    expect(a.plan([peer({ established: false })], 1)).toEqual({ list: [], clear: [] });
  });
});

describe("allBest", () => {
  it("only a peer with as many fresh best paths as received paths goes unlisted", () => {
    expect(allBest(10_000, 10_000)).toBe(true); // every path it sent won: none refused
    expect(allBest(0, 0)).toBe(true); // nothing received (all withdrawn)
    expect(allBest(10_000, 9_999)).toBe(false); // one refused, or accepted but another peer's won
    expect(allBest(1, 0)).toBe(false);
    expect(allBest(0, undefined)).toBe(false); // the best paths may lack a withdrawal: list it
  });
});
