// The GoBGP client against real gobgpd processes. Three routers, each a network namespace with
// its own gobgpd (API on a unix socket in a temp dir):
//
//   A 192.0.2.11 ──veth── 192.0.2.12 B 198.51.100.1 ──veth── 198.51.100.2 C
//
// A and B: iBGP (AS 64512) signed with a shared TCP MD5 password. B and C: eBGP (C is AS 64513)
// with mismatched passwords, which must never come up. B imports only pool prefixes; A exports
// only pool-sized prefixes. B's gobgpd is killed and restarted to test the watch's reconnect.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransientError } from "../../common/errors.ts";
import type { GobgpClient } from "../../bgp/gobgp/client.ts";
import { GobgpError } from "../../bgp/gobgp/grpc-error.ts";
import { connectGobgp } from "../../bgp/gobgp/host/connect-gobgp.ts";
import type { BestPathEvent, BgpPath, PeerConfig, RouteWatchEvent, WatchHandle } from "../../bgp/gobgp/types.ts";
import { killGobgpd, requireGobgpd, startGobgpd, type Gobgpd } from "../support/gobgpd.ts";
import { inNetns, NetnsSet, requireRoot } from "../rig/netns.ts";
import { must } from "../rig/run-process.ts";
import { killAll } from "../rig/start-process.ts";

jest.setTimeout(120_000);

const asn = 64512;
const asnC = 64513;
const addrA = "192.0.2.11";
const addrB = "192.0.2.12";
const addrBC = "198.51.100.1";
const addrC = "198.51.100.2";
const md5 = "petrel-md5-secret";

let ns: NetnsSet | undefined;
let dir: string | undefined;
const procs: Gobgpd[] = [];
const clients: GobgpClient[] = [];
const watches: WatchHandle[] = [];
let nsA = "";
let nsB = "";
let nsC = "";
let a: GobgpClient;
let b: GobgpClient;
let c: GobgpClient;
let gobgpdB: Gobgpd;
const testStart = new Date();

/** B's best-path events (IPv4), from the watch started before any path exists. */
const eventsB: BestPathEvent[] = [];

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function connect(g: Gobgpd): GobgpClient {
  const client = connectGobgp({ address: g.address, callTimeoutMs: 10_000 });
  clients.push(client);
  return client;
}

function peerAB(address: string): PeerConfig {
  return {
    address, asn, description: "petrel test", password: md5,
    timers: { holdTime: 9, keepaliveInterval: 3, connectRetry: 5 },
    families: ["ipv4-unicast", "ipv6-unicast"],
    gracefulRestart: { enabled: true, restartTime: 30 },
  };
}

async function established(client: GobgpClient, address: string) {
  return eventually(`session to ${address} Established`, async () => {
    const p = await client.getPeer(address);
    return p?.state === "Established" ? p : undefined;
  });
}

/**
 * B's import policy: pool prefixes of length 24..32 (IPv4) and 48..128 (IPv6) only. A prefix set
 * holds one family and never matches routes of the other, so dual stack needs a set per family.
 */
async function configureB(): Promise<void> {
  await b.startBgp({ asn, routerId: addrB, listenPort: 179, listenAddresses: [addrB, addrBC] });
  await b.addDefinedSet({ type: "prefix", name: "pools", prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] });
  await b.addDefinedSet({ type: "prefix", name: "pools-v6", prefixes: [{ prefix: "2001:db8::/32", maskLengthMin: 48, maskLengthMax: 128 }] });
  await b.addPolicy({
    name: "import-pools",
    statements: [
      { conditions: { prefixSet: { name: "pools" } }, action: "accept" },
      { conditions: { prefixSet: { name: "pools-v6" } }, action: "accept" },
    ],
  });
  await b.setPolicyAssignment({ direction: "import", policies: ["import-pools"], defaultAction: "reject" });
  await b.addPeer(peerAB(addrA));
}

function md5Failures(netns: string): number {
  // /proc/net is per network namespace: read it from inside B's.
  const text = inNetns(netns, ["cat", "/proc/net/netstat"]).stdout;
  const lines = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = names.indexOf("TCPMD5Failure");
  return i < 0 ? 0 : Number(values[i]);
}

function find(paths: BgpPath[], prefix: string): BgpPath | undefined {
  return paths.find((p) => p.prefix === prefix);
}

function eventFor(prefix: string, withdrawal: boolean, from = 0): BgpPath | undefined {
  for (const e of eventsB.slice(from)) {
    if (e.type !== "paths") continue;
    const p = e.paths.find((x) => x.prefix === prefix && x.withdrawal === withdrawal);
    if (p !== undefined) return p;
  }
  return undefined;
}

beforeAll(async () => {
  requireRoot();
  requireGobgpd();
  dir = mkdtempSync(join(tmpdir(), "petrel-gobgp-"));
  ns = new NetnsSet("gobgp");
  nsA = ns.create();
  nsB = ns.create();
  nsC = ns.create();
  must(["ip", "-n", nsA, "link", "add", "ab0", "type", "veth", "peer", "name", "ba0", "netns", nsB]);
  must(["ip", "-n", nsB, "link", "add", "bc0", "type", "veth", "peer", "name", "cb0", "netns", nsC]);
  for (const [netns, dev, addr] of [[nsA, "ab0", `${addrA}/24`], [nsB, "ba0", `${addrB}/24`], [nsB, "bc0", `${addrBC}/24`], [nsC, "cb0", `${addrC}/24`]] as const) {
    must(["ip", "-n", netns, "addr", "add", addr, "dev", dev]);
    must(["ip", "-n", netns, "link", "set", dev, "up"]);
  }
  for (const [name, netns] of [["a", nsA], ["b", nsB], ["c", nsC]] as const) procs.push(await startGobgpd(name, netns, dir));
  [a, b, c] = procs.map(connect) as [GobgpClient, GobgpClient, GobgpClient];
  gobgpdB = procs[1] as Gobgpd;
});

afterAll(async () => {
  for (const w of watches) w.stop();
  for (const client of clients) client.close();
  await killAll(procs.map((p) => p.proc));
  ns?.removeAll();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("gobgpd through GobgpClient", () => {
  it("starts BGP, refuses a conflicting second start and reports the global config", async () => {
    expect(await a.getBgp()).toBeUndefined();
    await a.startBgp({ asn, routerId: addrA, listenPort: 179, listenAddresses: [addrA] });
    await a.startBgp({ asn, routerId: addrA, listenPort: 179 });
    await expect(a.startBgp({ asn: asnC, routerId: addrA, listenPort: 179 })).rejects.toBeInstanceOf(GobgpError);
    expect(await a.getBgp()).toEqual({ asn, routerId: addrA, listenPort: 179, listenAddresses: [addrA] });
    await c.startBgp({ asn: asnC, routerId: addrC, listenPort: 179, listenAddresses: [addrC] });
    // Before StartBgp gobgpd refuses path calls; the client says how to fix it.
    await expect(b.addPath({ prefix: "198.18.9.0/24", nextHop: addrB })).rejects.toMatchObject({ reason: "not-started", kind: "transient" });
  });

  it("sets defined sets, policies and assignments on the global RIB", async () => {
    await configureB();
    expect(await b.listPolicyAssignments()).toEqual(expect.arrayContaining([{ direction: "import", policies: ["import-pools"], defaultAction: "reject" }]));
    expect(await b.listPolicies("import-pools")).toEqual([
      {
        name: "import-pools",
        statements: [
          { name: "import-pools-0", conditions: { prefixSet: { name: "pools", match: "any" } }, action: "accept" },
          { name: "import-pools-1", conditions: { prefixSet: { name: "pools-v6", match: "any" } }, action: "accept" },
        ],
      },
    ]);
    await a.addDefinedSet({ type: "prefix", name: "export-pools", prefixes: [{ prefix: "198.18.0.0/15", maskLengthMin: 23, maskLengthMax: 32 }] });
    // Without an IPv6 set the default reject would drop every IPv6 route.
    await a.addDefinedSet({ type: "prefix", name: "export-pools-v6", prefixes: [{ prefix: "2001:db8::/32", maskLengthMin: 48 }] });
    await a.addPolicy({
      name: "export-pools",
      statements: [
        { conditions: { prefixSet: { name: "export-pools" } }, action: "accept" },
        { conditions: { prefixSet: { name: "export-pools-v6" } }, action: "accept" },
      ],
    });
    await a.setPolicyAssignment({ direction: "export", policies: ["export-pools"], defaultAction: "reject" });
    expect(await a.listPolicyAssignments()).toEqual(expect.arrayContaining([{ direction: "export", policies: ["export-pools"], defaultAction: "reject" }]));
    expect(await a.listDefinedSets("prefix", "export-pools")).toEqual([
      { type: "prefix", name: "export-pools", prefixes: [{ prefix: "198.18.0.0/15", maskLengthMin: 23, maskLengthMax: 32 }] },
    ]);
  });

  it("replaces a defined set's entries in place", async () => {
    await a.addDefinedSet({ type: "prefix", name: "scratch", prefixes: [{ prefix: "198.18.0.0/16" }, { prefix: "198.19.0.0/16", maskLengthMin: 24, maskLengthMax: 28 }] });
    await a.replaceDefinedSet({ type: "prefix", name: "scratch", prefixes: [{ prefix: "198.19.0.0/16", maskLengthMin: 24, maskLengthMax: 28 }, { prefix: "198.18.128.0/17" }] });
    const [set] = await a.listDefinedSets("prefix", "scratch");
    expect(set?.type === "prefix" ? [...set.prefixes].sort((x, y) => x.prefix.localeCompare(y.prefix)) : set).toEqual([
      { prefix: "198.18.128.0/17", maskLengthMin: 17, maskLengthMax: 17 },
      { prefix: "198.19.0.0/16", maskLengthMin: 24, maskLengthMax: 28 },
    ]);
    await a.addDefinedSet({ type: "neighbor", name: "scratch-n", neighbors: [addrB] });
    expect(await a.listDefinedSets("neighbor", "scratch-n")).toEqual([{ type: "neighbor", name: "scratch-n", neighbors: [`${addrB}/32`] }]);
    await a.deleteDefinedSet("prefix", "scratch");
    await a.deleteDefinedSet("neighbor", "scratch-n");
    expect((await a.listDefinedSets("prefix")).map((s) => s.name).sort()).toEqual(["export-pools", "export-pools-v6"]);
  });

  it("brings up an MD5-signed iBGP session and reports it in listPeers", async () => {
    watches.push(b.watchBestPaths("ipv4-unicast", (e) => eventsB.push(e)));
    await a.addPeer(peerAB(addrB));
    await expect(a.addPeer(peerAB(addrB))).rejects.toMatchObject({ reason: "exists", field: "address" });
    await b.addPeer({ address: addrC, asn: asnC, password: "right-secret", timers: { holdTime: 9, keepaliveInterval: 3 } });
    await c.addPeer({ address: addrBC, asn, password: "wrong-secret", timers: { holdTime: 9, keepaliveInterval: 3 } });
    const fromA = await established(a, addrB);
    const fromB = await established(b, addrA);
    expect(fromA).toMatchObject({
      address: addrB, asn, localAsn: asn, type: "iBGP", description: "petrel test", state: "Established",
      adminDown: false, routerId: addrB, negotiatedHoldTime: 9,
    });
    expect(fromA.families.map((f) => f.family).sort()).toEqual(["ipv4-unicast", "ipv6-unicast"]);
    expect(fromA.messages.received.open).toBeGreaterThanOrEqual(1);
    expect(fromA.messages.sent.total).toBeGreaterThanOrEqual(1);
    // gobgpd reports uptime in whole seconds.
    expect(fromA.since?.getTime()).toBeGreaterThanOrEqual(Math.floor(testStart.getTime() / 1000) * 1000);
    expect(fromA.since?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(fromB).toMatchObject({ address: addrA, routerId: addrA, type: "iBGP" });
  });

  it("keeps a session with a mismatched MD5 password down", async () => {
    await eventually("B's kernel to drop a segment with a bad MD5 signature", async () => (md5Failures(nsB) > 0 ? true : undefined), 40_000);
    expect((await b.getPeer(addrC))?.state).not.toBe("Established");
    expect(await c.getPeer(addrBC)).toMatchObject({ type: "eBGP", asn, localAsn: asnC });
    expect((await c.getPeer(addrBC))?.state).not.toBe("Established");
  });

  let uuid = "";

  it("sends a path from A to B, seen in B's RIB, adj tables and best-path watch", async () => {
    uuid = await a.addPath({ prefix: "198.18.1.0/26", nextHop: addrA, communities: ["64512:100", "no-export"], largeCommunities: ["64512:1:2"], localPref: 200, med: 7 });
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const onB = await eventually("198.18.1.0/26 in B's global RIB", async () => find(await b.listPaths({ family: "ipv4-unicast", table: "global" }), "198.18.1.0/26"));
    expect(onB).toMatchObject({
      family: "ipv4-unicast", prefix: "198.18.1.0/26", nextHop: addrA, best: true, withdrawal: false,
      sourceAsn: asn, sourceId: addrA, neighborIp: addrA, communities: ["64512:100", "no-export"], largeCommunities: ["64512:1:2"],
      origin: "igp", localPref: 200, med: 7, asPath: [], filtered: false,
    });
    expect(onB.age?.getTime()).toBeGreaterThan(testStart.getTime() - 2000);
    const event = await eventually("B's watch to report 198.18.1.0/26", async () => eventFor("198.18.1.0/26", false));
    expect(event).toMatchObject({ nextHop: addrA, best: true, neighborIp: addrA });

    const local = find(await a.listPaths({ family: "ipv4-unicast", table: "global", prefixes: ["198.18.1.0/26"] }), "198.18.1.0/26");
    expect(local).toMatchObject({ best: true, sourceAsn: undefined, neighborIp: undefined, nextHop: addrA });
    expect(find(await a.listPaths({ family: "ipv4-unicast", table: "adj-out", peer: addrB }), "198.18.1.0/26")).toBeDefined();
    expect(find(await b.listPaths({ family: "ipv4-unicast", table: "adj-in", peer: addrA }), "198.18.1.0/26")).toMatchObject({ nextHop: addrA });
    const counters = await eventually("A to count the advertised path", async () => {
      const p = await a.getPeer(addrB);
      return p !== undefined && p.prefixes.advertised >= 1 ? p : undefined;
    });
    expect(counters.families.find((f) => f.family === "ipv4-unicast")?.advertised).toBe(1);
    expect((await b.getPeer(addrA))?.prefixes).toMatchObject({ received: 1, accepted: 1 });
  });

  it("carries IPv6 paths in MP_REACH_NLRI", async () => {
    await a.addPath({ prefix: "2001:db8:1::/64", nextHop: "2001:db8::11" });
    const onB = await eventually("2001:db8:1::/64 on B", async () => find(await b.listPaths({ family: "ipv6-unicast", table: "global" }), "2001:db8:1::/64"));
    expect(onB).toMatchObject({ family: "ipv6-unicast", nextHop: "2001:db8::11", neighborIp: addrA, best: true });
    await a.deletePath({ prefix: "2001:db8:1::/64" });
    await eventually("2001:db8:1::/64 withdrawn on B", async () =>
      find(await b.listPaths({ family: "ipv6-unicast", table: "global" }), "2001:db8:1::/64") === undefined ? true : undefined);
    expect(eventsB.some((e) => e.type === "paths" && e.paths.some((p) => p.family !== "ipv4-unicast"))).toBe(false);
  });

  it("imports only pool prefixes on B and exports only pool-sized prefixes from A", async () => {
    for (const prefix of ["198.18.2.0/24", "198.18.0.0/23", "198.19.0.0/24", "198.18.4.0/22"]) await a.addPath({ prefix, nextHop: addrA });
    // 198.18.2.0/24 passes both policies; once it is on B, A's update has been processed.
    await eventually("198.18.2.0/24 on B", async () => find(await b.listPaths({ family: "ipv4-unicast", table: "global" }), "198.18.2.0/24"));
    const global = await b.listPaths({ family: "ipv4-unicast", table: "global" });
    expect(global.map((p) => p.prefix).sort()).toEqual(["198.18.1.0/26", "198.18.2.0/24"]);
    const adjIn = await b.listPaths({ family: "ipv4-unicast", table: "adj-in", peer: addrA, includeFiltered: true });
    expect(adjIn.map((p) => [p.prefix, p.filtered]).sort()).toEqual([
      ["198.18.0.0/23", true], ["198.18.1.0/26", false], ["198.18.2.0/24", false], ["198.19.0.0/24", true],
    ]);
    const adjOut = await a.listPaths({ family: "ipv4-unicast", table: "adj-out", peer: addrB });
    expect(adjOut.map((p) => p.prefix).sort()).toEqual(["198.18.0.0/23", "198.18.1.0/26", "198.18.2.0/24", "198.19.0.0/24"]);
    expect((await a.listPaths({ family: "ipv4-unicast", table: "global" })).map((p) => p.prefix)).toContain("198.18.4.0/22");
    for (const rejected of ["198.18.0.0/23", "198.19.0.0/24", "198.18.4.0/22"]) expect(eventFor(rejected, false)).toBeUndefined();
  });

  it("withdraws by UUID and by prefix, and the watch reports the withdrawals", async () => {
    const from = eventsB.length;
    await a.deletePath({ uuid });
    const gone = await eventually("a withdrawal event for 198.18.1.0/26", async () => eventFor("198.18.1.0/26", true, from));
    expect(gone).toMatchObject({ prefix: "198.18.1.0/26", withdrawal: true, best: false });
    expect(find(await b.listPaths({ family: "ipv4-unicast", table: "global" }), "198.18.1.0/26")).toBeUndefined();
    await a.deletePath({ prefix: "198.18.2.0/24" });
    await eventually("a withdrawal event for 198.18.2.0/24", async () => eventFor("198.18.2.0/24", true, from));
    await expect(a.deletePath({ uuid })).rejects.toMatchObject({ reason: "not-found" });
  });

  it("updates a peer's configuration and soft-resets a session", async () => {
    await a.resetPeer(addrB, { soft: "both" });
    expect((await a.getPeer(addrB))?.state).toBe("Established");
    await a.updatePeer({ ...peerAB(addrB), description: "updated" });
    expect(await a.getPeer(addrB)).toMatchObject({ description: "updated" });
    await established(a, addrB);
    await expect(a.updatePeer({ ...peerAB("192.0.2.99") })).rejects.toMatchObject({ reason: "not-found", field: "address" });
  });

  it("lean watches and listings decode what gobgpd sends: best paths, paths received before the policy, session events", async () => {
    const best: RouteWatchEvent[] = [];
    const received: RouteWatchEvent[] = [];
    watches.push(b.watchRoutes((e) => best.push(e)), b.watchReceived((e) => received.push(e)));
    const routes = (events: RouteWatchEvent[]) => events.flatMap((e) => (e.type === "routes" ? e.routes : []));
    await a.addPath({ prefix: "198.18.5.0/24", nextHop: addrA });
    await a.addPath({ prefix: "198.19.5.0/24", nextHop: addrA }); // B's import policy rejects it
    await a.addPath({ prefix: "2001:db8:5::/64", nextHop: "2001:db8::11" });
    const got = await eventually("B's lean watch to report 198.18.5.0/24 and 2001:db8:5::/64", async () => {
      const r = routes(best);
      return r.some((x) => x.prefix === "198.18.5.0/24") && r.some((x) => x.prefix === "2001:db8:5::/64") ? r : undefined;
    });
    expect(got.find((x) => x.prefix === "198.18.5.0/24")).toEqual({ family: "ipv4-unicast", prefix: "198.18.5.0/24", nextHop: addrA, peer: addrA, withdrawal: false, stale: false, best: false });
    expect(got.find((x) => x.prefix === "2001:db8:5::/64")).toMatchObject({ family: "ipv6-unicast", nextHop: "2001:db8::11", peer: addrA });
    expect(got.some((x) => x.prefix === "198.19.5.0/24")).toBe(false);
    // The received-paths watch sees the rejected one too (and, first, everything A sent before).
    const rejected = await eventually("198.19.5.0/24 in B's received paths", async () => routes(received).find((x) => x.prefix === "198.19.5.0/24"));
    expect(rejected).toMatchObject({ nextHop: addrA, peer: addrA, withdrawal: false });
    expect(routes(received).some((x) => x.prefix === "198.18.0.0/23")).toBe(true);
    // Lean listings: B's learned route and A's own.
    expect((await b.listRoutes("ipv4-unicast")).find((x) => x.prefix === "198.18.5.0/24")).toMatchObject({ nextHop: addrA, peer: addrA, best: true });
    expect((await a.listRoutes("ipv4-unicast")).find((x) => x.prefix === "198.18.5.0/24")).toMatchObject({ nextHop: addrA, peer: undefined, best: true });
    await a.deletePath({ prefix: "198.18.5.0/24" });
    await a.deletePath({ prefix: "198.19.5.0/24" });
    await a.deletePath({ prefix: "2001:db8:5::/64" });
    await eventually("the withdrawals in both watches", async () =>
      routes(best).some((x) => x.prefix === "198.18.5.0/24" && x.withdrawal) && routes(received).some((x) => x.prefix === "198.19.5.0/24" && x.withdrawal) ? true : undefined);
    // Session events: a hard reset takes the session down and up again.
    const mark = received.length;
    await a.resetPeer(addrB);
    const states = await eventually("B's session events", async () => {
      const s = received.slice(mark).flatMap((e) => (e.type === "peer" && e.peer === addrA ? [e.state] : []));
      return s.includes("Established") && s.some((x) => x !== "Established") ? s : undefined;
    });
    expect(states.at(-1)).toBe("Established");
  });

  it("the agent's received-routes audit: a peer's UPDATE counter moves, a lean Adj-RIB-In listing shows what the import policy dropped, the peers watch only sessions", async () => {
    const events: RouteWatchEvent[] = [];
    watches.push(b.watchPeers((e) => events.push(e)));
    const before = (await b.getPeer(addrA))?.messages.received.update ?? 0;
    await a.addPath({ prefix: "198.19.6.0/24", nextHop: addrA }); // B's import policy rejects it
    await a.addPath({ prefix: "198.18.9.0/24", nextHop: addrA });
    await eventually("both in B's Adj-RIB-In, and B's UPDATE counter moved", async () => {
      const r = await b.listReceived(addrA, "ipv4-unicast");
      return r.some((x) => x.prefix === "198.18.9.0/24") && r.some((x) => x.prefix === "198.19.6.0/24") && ((await b.getPeer(addrA))?.messages.received.update ?? 0) > before ? true : undefined;
    });
    // The rejected one is in the Adj-RIB-In only, not in B's RIB.
    expect((await b.listRoutes("ipv4-unicast")).some((x) => x.prefix === "198.19.6.0/24")).toBe(false);
    const listed = await b.listReceived(addrA, "ipv4-unicast");
    expect(listed.find((x) => x.prefix === "198.19.6.0/24")).toMatchObject({ family: "ipv4-unicast", nextHop: addrA, peer: addrA, withdrawal: false });
    expect(listed.find((x) => x.prefix === "198.18.9.0/24")).toMatchObject({ nextHop: addrA, peer: addrA });
    expect(listed.every((x) => x.peer === addrA)).toBe(true);
    await expect(b.listReceived("not-an-address", "ipv4-unicast")).rejects.toMatchObject({ field: "peer" });
    await a.deletePath({ prefix: "198.19.6.0/24" });
    await a.deletePath({ prefix: "198.18.9.0/24" });
    await eventually("the refused path gone from B's Adj-RIB-In", async () => ((await b.listReceived(addrA, "ipv4-unicast")).some((x) => x.prefix === "198.19.6.0/24") ? undefined : true));
    // Only session events on the peers watch, never paths.
    await a.resetPeer(addrB);
    // Down, then Established again (the stream may first replay the current state).
    const states = await eventually("B's session down and up again on the peers watch", async () => {
      const s = events.flatMap((e) => (e.type === "peer" && e.peer === addrA ? [e.state] : []));
      const down = s.findIndex((x) => x !== "Established");
      return down >= 0 && s.slice(down).includes("Established") ? s : undefined;
    });
    expect(states.slice(states.findIndex((x) => x !== "Established"))).toContain("Established");
    expect(events.some((e) => e.type === "routes" && e.routes.length > 0)).toBe(false);
    await established(a, addrB);
  });

  it("filters on next hop and route type, with statements added to and removed from an assigned policy", async () => {
    await b.addDefinedSet({ type: "prefix", name: "owner-a", prefixes: [{ prefix: "198.18.6.0/24" }, { prefix: "198.18.7.0/24" }] });
    await b.addPolicy({ name: "trust", statements: [{ name: "trust-local", conditions: { routeType: "local" }, action: "accept" }] });
    await b.setPolicyAssignment({ direction: "import", policies: ["trust"], defaultAction: "reject" });
    try {
      // gobgpd runs its own paths through the import policy too: the route-type statement admits them.
      await b.addPath({ prefix: "198.18.8.0/24", nextHop: addrB });
      expect((await b.listRoutes("ipv4-unicast")).find((x) => x.prefix === "198.18.8.0/24")).toMatchObject({ peer: undefined });
      await a.addPath({ prefix: "198.18.6.0/24", nextHop: addrA });
      await a.addPath({ prefix: "198.18.7.0/24", nextHop: "192.0.2.99" }); // someone else's next hop
      await eventually("both on B's Adj-RIB-In", async () => ((await b.listPaths({ family: "ipv4-unicast", table: "adj-in", peer: addrA, includeFiltered: true })).filter((p) => p.prefix.startsWith("198.18.6.") || p.prefix.startsWith("198.18.7.")).length === 2 ? true : undefined));
      expect((await b.listRoutes("ipv4-unicast")).map((x) => x.prefix)).not.toContain("198.18.6.0/24");
      const owner = { name: "trust-owner-a", conditions: { prefixSet: { name: "owner-a" }, nextHopInList: [addrA] }, action: "accept" as const };
      await b.addStatements("trust", [owner]);
      await b.resetPeer(addrA, { soft: "in" });
      const rib = await eventually("198.18.6.0/24 accepted via A", async () => {
        const r = await b.listRoutes("ipv4-unicast");
        return r.some((x) => x.prefix === "198.18.6.0/24") ? r : undefined;
      });
      expect(rib.map((x) => x.prefix)).not.toContain("198.18.7.0/24");
      expect((await b.listPolicies("trust"))[0]?.statements.map((st) => [st.name, st.conditions])).toEqual([
        ["trust-local", { routeType: "local" }],
        ["trust-owner-a", { prefixSet: { name: "owner-a", match: "any" }, nextHopInList: [`${addrA}/32`] }],
      ]);
      // Out, and back under the same name (the definition went too).
      await b.removeStatements("trust", ["trust-owner-a"]);
      expect((await b.listPolicies("trust"))[0]?.statements.map((st) => st.name)).toEqual(["trust-local"]);
      await b.addStatements("trust", [owner]);
      expect((await b.listPolicies("trust"))[0]?.statements.map((st) => st.name)).toEqual(["trust-local", "trust-owner-a"]);
      await b.removeDefinedSetEntries({ type: "prefix", name: "owner-a", prefixes: [{ prefix: "198.18.7.0/24" }] });
      expect((await b.listDefinedSets("prefix", "owner-a"))[0]).toMatchObject({ prefixes: [{ prefix: "198.18.6.0/24" }] });
    } finally {
      await b.setPolicyAssignment({ direction: "import", policies: ["import-pools"], defaultAction: "reject" });
      await b.deletePath({ prefix: "198.18.8.0/24" });
      await a.deletePath({ prefix: "198.18.6.0/24" });
      await a.deletePath({ prefix: "198.18.7.0/24" });
    }
  });

  it("reconnects the watch when gobgpd is killed and restarted", async () => {
    await a.addPath({ prefix: "198.18.3.0/24", nextHop: addrA });
    await eventually("198.18.3.0/24 on B", async () => eventFor("198.18.3.0/24", false));
    const from = eventsB.length;
    await killGobgpd(gobgpdB);
    await eventually("a disconnected event", async () => eventsB.slice(from).find((e) => e.type === "disconnected"), 15_000);
    const err = await b.getBgp().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);

    gobgpdB = await startGobgpd("b", nsB, dir as string);
    procs.push(gobgpdB);
    await eventually("a reconnected event", async () => eventsB.slice(from).find((e) => e.type === "reconnected"), 15_000);
    // A restarted gobgpd has forgotten everything: the caller reconfigures it on "reconnected".
    expect(await b.getBgp()).toBeUndefined();
    await configureB();
    await established(b, addrA);
    const back = await eventually("198.18.3.0/24 back in B's watch", async () => {
      const i = eventsB.findIndex((e, n) => n >= from && e.type === "reconnected");
      return eventFor("198.18.3.0/24", false, i);
    });
    expect(back).toMatchObject({ nextHop: addrA, neighborIp: addrA });
    expect(eventsB.slice(from).filter((e) => e.type === "disconnected")).toHaveLength(1);
  });

  it("deletes a peer and stops BGP", async () => {
    await a.deletePeer(addrB);
    expect(await a.listPeers()).toEqual([]);
    await expect(a.deletePeer(addrB)).rejects.toBeInstanceOf(GobgpError);
    await c.stopBgp();
    expect(await c.getBgp()).toBeUndefined();
  });
});
