import { packAny } from "./attributes.ts";
import { bestPathsOf, watchBestPaths, watchDecoded } from "./best-path-watch.ts";
import { grpcStatus } from "./grpc-error.ts";
import { encodeWatch, FakeTransport, jsonDecoder, statusError } from "./testing/fake-transport.ts";
import type { BestPathEvent, RouteWatchEvent } from "./types.ts";

function path(prefix: string, len: number, v6 = false, withdraw = false): Record<string, unknown> {
  return {
    nlri: packAny("IPAddressPrefix", { prefix, prefixLen: len }),
    pattrs: [packAny("OriginAttribute", { origin: 0 }), packAny("NextHopAttribute", { nextHop: v6 ? "2001:db8::1" : "192.0.2.11" })],
    family: v6 ? { afi: "AFI_IP6", safi: "SAFI_UNICAST" } : { afi: "AFI_IP", safi: "SAFI_UNICAST" },
    best: false, isWithdraw: withdraw, sourceAsn: 64512, sourceId: "192.0.2.11", neighborIp: "192.0.2.11",
  };
}

function tableEvent(...paths: unknown[]): unknown {
  return { event: "table", table: { paths } };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("bestPathsOf", () => {
  it("keeps the watched family and marks best and withdrawn paths", () => {
    const msg = tableEvent(path("198.18.0.0", 26), path("2001:db8:1::", 64, true), path("198.18.0.64", 26, false, true));
    expect(bestPathsOf(msg, "ipv4-unicast").map((p) => [p.prefix, p.best, p.withdrawal])).toEqual([
      ["198.18.0.0/26", true, false],
      ["198.18.0.64/26", false, true],
    ]);
    expect(bestPathsOf(msg, "ipv6-unicast").map((p) => p.prefix)).toEqual(["2001:db8:1::/64"]);
    expect(bestPathsOf({ event: "peer", peer: {} }, "ipv4-unicast")).toEqual([]);
  });
});

describe("watchBestPaths", () => {
  let transport: FakeTransport;
  let events: BestPathEvent[];
  let probeResult: () => Promise<unknown>;
  const probe = () => probeResult();

  beforeEach(() => {
    transport = new FakeTransport();
    events = [];
    probeResult = async () => ({});
  });

  it("asks for best paths with the current table first, and reports changes of its family", () => {
    const handle = watchBestPaths(transport, probe, "ipv4-unicast", (e) => events.push(e));
    expect(transport.streams).toHaveLength(1);
    expect(transport.streams[0]?.request).toEqual({ table: { filters: [{ type: "BEST", init: true }] } });
    transport.streams[0]?.handlers.onData(tableEvent(path("2001:db8:1::", 64, true)));
    transport.streams[0]?.handlers.onData(tableEvent(path("198.18.0.0", 26)));
    expect(events).toEqual([{ type: "paths", paths: [expect.objectContaining({ prefix: "198.18.0.0/26", best: true })] }]);
    handle.stop();
    expect(transport.streams[0]?.cancelled).toBe(true);
  });

  it("reports a break once, retries with backoff, and reports reconnected after the probe", async () => {
    const handle = watchBestPaths(transport, probe, "ipv4-unicast", (e) => events.push(e), { initialBackoffMs: 1, maxBackoffMs: 4 });
    let probeCalls = 0;
    probeResult = async () => {
      probeCalls++;
      if (probeCalls < 3) throw statusError(grpcStatus.UNAVAILABLE, "connection refused");
      return {};
    };
    transport.streams[0]?.handlers.onError(statusError(grpcStatus.UNAVAILABLE, "Connection dropped"));
    expect(events).toEqual([{ type: "disconnected", error: expect.objectContaining({ kind: "transient" }) }]);
    await until(() => events.length === 2, "reconnected");
    expect(events[1]).toEqual({ type: "reconnected" });
    // Two failed probes abandoned their streams; the third stream is the live one.
    expect(transport.streams).toHaveLength(4);
    expect(transport.streams.slice(1, 3).every((s) => s.cancelled)).toBe(true);
    transport.streams[3]?.handlers.onData(tableEvent(path("198.18.0.0", 26)));
    expect(events[2]).toMatchObject({ type: "paths" });
    handle.stop();
  });

  it("treats an event on the new stream as proof of reconnection, before its paths", async () => {
    probeResult = () => new Promise(() => undefined);
    const handle = watchBestPaths(transport, probe, "ipv4-unicast", (e) => events.push(e), { initialBackoffMs: 1 });
    transport.streams[0]?.handlers.onEnd();
    await until(() => transport.streams.length === 2, "a new stream");
    transport.streams[1]?.handlers.onData(tableEvent(path("198.18.0.0", 26)));
    expect(events.map((e) => e.type)).toEqual(["disconnected", "reconnected", "paths"]);
    handle.stop();
  });

  it("ignores late callbacks of abandoned streams and delivers nothing after stop", async () => {
    const handle = watchBestPaths(transport, probe, "ipv4-unicast", (e) => events.push(e), { initialBackoffMs: 1 });
    const first = transport.streams[0];
    first?.handlers.onError(statusError(grpcStatus.UNAVAILABLE, "gone"));
    first?.handlers.onData(tableEvent(path("198.18.0.0", 26)));
    first?.handlers.onError(statusError(grpcStatus.UNAVAILABLE, "gone again"));
    expect(events.map((e) => e.type)).toEqual(["disconnected"]);
    handle.stop();
    await tick(20);
    expect(transport.streams).toHaveLength(1);
    first?.handlers.onData(tableEvent(path("198.18.0.0", 26)));
    expect(events).toHaveLength(1);
  });
});

describe("watchDecoded (the lean watches)", () => {
  const route = (prefix: string, withdrawal = false) => ({ family: "ipv4-unicast" as const, prefix, nextHop: "192.0.2.12", peer: "192.0.2.12", withdrawal, stale: false, best: !withdrawal });

  it("passes decoded routes and peer events on, and reports a break and the way back", async () => {
    const transport = new FakeTransport();
    const events: RouteWatchEvent[] = [];
    const handle = watchDecoded(transport, async () => ({}), { peer: {}, table: { filters: [{ type: "ADJIN", init: true }] } }, jsonDecoder, (e) => events.push(e), { initialBackoffMs: 1, maxBackoffMs: 2 });
    expect(transport.rawStreams[0]?.request).toEqual({ peer: {}, table: { filters: [{ type: "ADJIN", init: true }] } });
    transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [route("198.18.0.64/26")] }));
    transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [] }));
    transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "peer", peer: "192.0.2.12", state: "Established", event: "state" }));
    transport.rawStreams[0]?.handlers.onError(statusError(grpcStatus.UNAVAILABLE, "connection refused"));
    await until(() => transport.rawStreams.length === 2, "a second stream");
    await until(() => events.some((e) => e.type === "reconnected"), "reconnected");
    expect(events.map((e) => e.type)).toEqual(["routes", "peer", "disconnected", "reconnected"]);
    expect(events[0]).toEqual({ type: "routes", routes: [route("198.18.0.64/26")] });
    expect(events[1]).toEqual({ type: "peer", peer: "192.0.2.12", state: "Established", kind: "state" });
    handle.stop();
    transport.rawStreams[1]?.handlers.onData(encodeWatch({ kind: "routes", routes: [route("198.18.0.128/26")] }));
    expect(events).toHaveLength(4);
  });
});
