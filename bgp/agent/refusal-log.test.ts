import { RefusalLog, type RefusalInput } from "./refusal-log.ts";
import { RecordingLogger } from "./testing/fake-gobgpd.ts";

const rogue = (prefix: string, reason: RefusalInput["reason"] = "wrong_next_hop"): RefusalInput =>
  ({ peer: "192.0.2.250", prefix, nextHop: "192.0.2.250", reason, detail: `${prefix} is not the rogue's` });

describe("RefusalLog", () => {
  let now: number;
  let log: RecordingLogger;
  let counted: string[];
  let refusals: RefusalLog;

  beforeEach(() => {
    now = 0;
    log = new RecordingLogger();
    counted = [];
    refusals = new RefusalLog(log, { now: () => now, logIntervalMs: 60_000, maxActive: 3, onCounted: (r) => counted.push(r) });
  });

  it("counts every refused announcement by reason and keeps what is in force, most recent first", () => {
    refusals.record(rogue("198.18.0.64/26"), "received");
    now = 10;
    refusals.record(rogue("198.18.0.70/32", "longer_than_block"), "received");
    now = 20;
    refusals.record(rogue("198.18.0.64/26"), "received"); // announced again
    expect(counted).toEqual(["wrong_next_hop", "longer_than_block", "wrong_next_hop"]);
    expect(refusals.totals()).toEqual(new Map([["wrong_next_hop", 2], ["longer_than_block", 1]]));
    expect(refusals.active().map((r) => [r.prefix, r.times, r.firstSeen, r.lastSeen])).toEqual([
      ["198.18.0.64/26", 2, 0, 20],
      ["198.18.0.70/32", 1, 10, 10],
    ]);
  });

  it("says which peer each counted refusal came from, and how many of each peer's are in force", () => {
    const seen: string[] = [];
    const r = new RefusalLog(log, { now: () => now, onCounted: (reason, peer) => seen.push(`${peer} ${reason}`) });
    r.record(rogue("198.18.0.64/26"), "received");
    r.record(rogue("0.0.0.0/0", "default_route"), "received");
    r.record({ ...rogue("198.18.1.0/26"), peer: "192.0.2.12" }, "received");
    r.record({ ...rogue("198.18.2.0/26", "kernel_route_exists"), peer: "" }, "best");
    expect(seen).toEqual(["192.0.2.250 wrong_next_hop", "192.0.2.250 default_route", "192.0.2.12 wrong_next_hop", " kernel_route_exists"]);
    expect(r.activeByPeer()).toEqual(new Map([["192.0.2.250", 2], ["192.0.2.12", 1]]));
    r.clearPeer("192.0.2.250");
    expect(r.activeByPeer()).toEqual(new Map([["192.0.2.12", 1]]));
  });

  it("counts once what both the received-routes watch and the engine refuse", () => {
    refusals.record(rogue("198.18.0.64/26"), "received");
    refusals.record(rogue("198.18.0.64/26"), "best");
    expect(counted).toEqual(["wrong_next_hop"]);
    refusals.record(rogue("198.18.0.128/26", "kernel_route_exists"), "best");
    expect(counted).toEqual(["wrong_next_hop", "kernel_route_exists"]);
    // Cleared only when every source that saw it has let go.
    refusals.clear("192.0.2.250", "198.18.0.64/26", "received");
    expect(refusals.activeCount).toBe(2);
    refusals.clear("192.0.2.250", "198.18.0.64/26", "best");
    expect(refusals.active().map((r) => r.prefix)).toEqual(["198.18.0.128/26"]);
  });

  it("logs one line per peer and reason per interval, saying how many it held back", () => {
    for (let i = 0; i < 5; i++) refusals.record(rogue(`198.18.0.${i}/32`, "longer_than_block"), "received");
    refusals.record(rogue("0.0.0.0/0", "default_route"), "received");
    expect(log.lines.map((l) => [l.message, l.fields?.["reason"], l.fields?.["prefix"], l.fields?.["peer"]])).toEqual([
      ["route refused", "longer_than_block", "198.18.0.0/32", "192.0.2.250"],
      ["route refused", "default_route", "0.0.0.0/0", "192.0.2.250"],
    ]);
    now = 60_000;
    refusals.record(rogue("198.18.0.9/32", "longer_than_block"), "received");
    expect(log.lines[2]?.fields).toMatchObject({ prefix: "198.18.0.9/32", heldBack: 4 });
  });

  it("drops a refusal that route trust now accepts (the block arrived after the route)", () => {
    refusals.record({ ...rogue("198.18.9.0/26", "unknown_block"), peer: "192.0.2.12", nextHop: "192.0.2.12" }, "received");
    refusals.record(rogue("0.0.0.0/0", "default_route"), "received");
    refusals.recheck((prefix) => (prefix === "198.18.9.0/26" ? undefined : "default_route"), "198.18.9.0/26");
    expect(refusals.active().map((r) => r.prefix)).toEqual(["0.0.0.0/0"]);
    expect(refusals.totals().get("unknown_block")).toBe(1);
  });

  it("forgets a peer's refusals when its session goes, and keeps at most maxActive (still counting)", () => {
    for (let i = 0; i < 5; i++) refusals.record(rogue(`198.18.0.${i}/32`, "longer_than_block"), "received");
    expect(refusals.activeCount).toBe(3);
    expect(refusals.dropped).toBe(2);
    expect(refusals.totals().get("longer_than_block")).toBe(5);
    refusals.record({ ...rogue("198.18.9.0/26", "unknown_block"), peer: "192.0.2.12" }, "received");
    refusals.clearPeer("192.0.2.250");
    expect(refusals.active().map((r) => r.peer)).toEqual(["192.0.2.12"]);
  });
});
