import type { RouteUpdate } from "../gobgp/types.ts";
import { BestTable } from "./best-table.ts";

function route(prefix: string, nextHop: string, options: Partial<RouteUpdate> = {}): RouteUpdate {
  return { family: "ipv4-unicast", prefix, nextHop, peer: nextHop, withdrawal: false, stale: false, best: true, ...options };
}
const withdrawal = (prefix: string) => route(prefix, "", { withdrawal: true, best: false });

describe("BestTable", () => {
  it("updates only the prefixes an event carries and reports those that changed", () => {
    const t = new BestTable();
    expect(t.apply([route("198.18.0.64/26", "192.0.2.12"), route("198.18.0.128/26", "192.0.2.13")])).toEqual(["198.18.0.64/26", "198.18.0.128/26"]);
    expect(t.apply([route("198.18.0.64/26", "192.0.2.12")])).toEqual([]);
    expect(t.apply([route("198.18.0.64/26", "192.0.2.14")])).toEqual(["198.18.0.64/26"]);
    expect(t.apply([route("198.18.0.64/26", "192.0.2.14", { stale: true })])).toEqual(["198.18.0.64/26"]);
    expect(t.apply([withdrawal("198.18.0.128/26"), withdrawal("198.18.9.0/26")])).toEqual(["198.18.0.128/26"]);
    expect([...t.values()]).toEqual([{ prefix: "198.18.0.64/26", nextHop: "192.0.2.14", peer: "192.0.2.14", stale: true }]);
  });

  it("a refresh replaces the table with the listing's best paths", () => {
    const t = new BestTable();
    t.apply([route("198.18.0.64/26", "192.0.2.12"), route("198.18.0.128/26", "192.0.2.13")]);
    const r = t.beginRefresh();
    const changed = t.finishRefresh(r, [
      route("198.18.0.64/26", "192.0.2.12"),
      route("198.18.0.192/26", "192.0.2.14"),
      route("198.18.0.192/26", "192.0.2.15", { best: false }),
      route("198.18.1.0/26", "192.0.2.11", { peer: undefined }),
    ]);
    expect(changed.sort()).toEqual(["198.18.0.128/26", "198.18.0.192/26", "198.18.1.0/26"]);
    expect(t.get("198.18.0.192/26")?.nextHop).toBe("192.0.2.14");
    expect(t.get("198.18.0.128/26")).toBeUndefined();
    expect(t.get("198.18.1.0/26")?.peer).toBeUndefined();
  });

  it("events during a refresh win over the listing, whichever way they go", () => {
    const t = new BestTable();
    t.apply([route("198.18.0.64/26", "192.0.2.12"), route("198.18.0.128/26", "192.0.2.13")]);
    const r = t.beginRefresh();
    // While the listing is in flight: one route withdrawn, one added, one moved.
    t.apply([withdrawal("198.18.0.64/26"), route("198.18.0.192/26", "192.0.2.14"), route("198.18.0.128/26", "192.0.2.15")]);
    // The listing was taken before those events.
    t.finishRefresh(r, [route("198.18.0.64/26", "192.0.2.12"), route("198.18.0.128/26", "192.0.2.13")]);
    expect(t.get("198.18.0.64/26")).toBeUndefined();
    expect(t.get("198.18.0.192/26")?.nextHop).toBe("192.0.2.14");
    expect(t.get("198.18.0.128/26")?.nextHop).toBe("192.0.2.15");
  });

  it("an older refresh finishing after a newer one began changes nothing; an aborted one stops tracking", () => {
    const t = new BestTable();
    t.apply([route("198.18.0.64/26", "192.0.2.12")]);
    const old = t.beginRefresh();
    const newer = t.beginRefresh();
    expect(t.finishRefresh(old, [])).toEqual([]);
    expect(t.get("198.18.0.64/26")).toBeDefined();
    t.abortRefresh(newer);
    expect(t.finishRefresh(newer, [])).toEqual([]);
    expect(t.size).toBe(1);
  });

  it("counts each peer's best paths that are not stale, through events and refreshes", () => {
    const t = new BestTable();
    const counts = () => ["192.0.2.12", "192.0.2.13", "192.0.2.14"].map((p) => t.freshFrom(p));
    t.apply([route("198.18.0.64/26", "192.0.2.12"), route("198.18.0.128/26", "192.0.2.12"), route("198.18.0.192/26", "192.0.2.13")]);
    expect(counts()).toEqual([2, 1, 0]);
    t.apply([route("198.18.0.64/26", "192.0.2.12")]); // the same again
    t.apply([route("198.18.0.128/26", "192.0.2.14")]); // another peer's path won
    expect(counts()).toEqual([1, 1, 1]);
    t.apply([route("198.18.0.192/26", "192.0.2.13", { stale: true }), withdrawal("198.18.0.64/26"), withdrawal("198.18.0.64/26")]);
    expect(counts()).toEqual([0, 0, 1]);
    t.apply([route("198.18.1.0/26", "192.0.2.11", { peer: undefined })]); // this node's own: no peer
    const r = t.beginRefresh();
    t.finishRefresh(r, [route("198.18.0.192/26", "192.0.2.13"), route("198.18.2.0/26", "192.0.2.12"), route("198.18.3.0/26", "192.0.2.12", { best: false })]);
    expect(counts()).toEqual([1, 1, 0]);
  });

  it("has no per-peer counts from a break in the stream until a refresh begun after the stream came back", () => {
    const t = new BestTable();
    t.apply([route("198.18.0.64/26", "192.0.2.12")]);
    t.streamDown(); // a withdrawal of 198.18.0.64/26 may be lost now
    expect(t.freshFrom("192.0.2.12")).toBeUndefined();
    t.finishRefresh(t.beginRefresh(), [route("198.18.0.64/26", "192.0.2.12")]); // listed while the stream is down
    expect(t.freshFrom("192.0.2.12")).toBeUndefined();
    const before = t.beginRefresh();
    t.streamUp();
    t.finishRefresh(before, []); // begun before the stream was back
    expect(t.freshFrom("192.0.2.12")).toBeUndefined();
    t.finishRefresh(t.beginRefresh(), [route("198.18.0.128/26", "192.0.2.12")]);
    expect(t.freshFrom("192.0.2.12")).toBe(1);
  });
});
