import { InvalidInputError } from "../../common/errors.ts";
import { decodePeer, encodePeer, sessionStateFromApi } from "./peer-codec.ts";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.field;
    throw err;
  }
  return undefined;
}

describe("encodePeer", () => {
  it("sends only the conf for a minimal peer, letting gobgpd default the rest", () => {
    expect(encodePeer({ address: "192.0.2.12", asn: 64512 })).toEqual({
      conf: { neighborAddress: "192.0.2.12", peerAsn: 64512, localAsn: 0, description: "", authPassword: "" },
    });
  });

  it("maps every option to gobgpd's Peer message", () => {
    expect(encodePeer({
      address: "2001:DB8::2", asn: 64513, localAsn: 64512, description: "tor-1", password: "s3cret",
      ebgpMultihopTtl: 2, timers: { holdTime: 9, keepaliveInterval: 3, connectRetry: 5 },
      gracefulRestart: { enabled: true, restartTime: 120 }, routeReflector: { client: true, clusterId: "198.51.100.1" },
      families: ["ipv4-unicast", "ipv6-unicast"], passive: true, localAddress: "2001:db8::1", remotePort: 1179,
    })).toEqual({
      conf: { neighborAddress: "2001:db8::2", peerAsn: 64513, localAsn: 64512, description: "tor-1", authPassword: "s3cret" },
      ebgpMultihop: { enabled: true, multihopTtl: 2 },
      timers: { config: { holdTime: 9, keepaliveInterval: 3, connectRetry: 5 } },
      gracefulRestart: { enabled: true, restartTime: 120, helperOnly: false, notificationEnabled: false },
      routeReflector: { routeReflectorClient: true, routeReflectorClusterId: "198.51.100.1" },
      afiSafis: [
        { config: { family: { afi: "AFI_IP", safi: "SAFI_UNICAST" }, enabled: true }, mpGracefulRestart: { config: { enabled: true } } },
        { config: { family: { afi: "AFI_IP6", safi: "SAFI_UNICAST" }, enabled: true }, mpGracefulRestart: { config: { enabled: true } } },
      ],
      transport: { passiveMode: true, localAddress: "2001:db8::1", remotePort: 1179 },
    });
  });

  it("names the field of every bad input", () => {
    const ok = { address: "192.0.2.12", asn: 64512 };
    expect(fieldOf(() => encodePeer({ ...ok, address: "tor-1.example" }))).toBe("address");
    expect(fieldOf(() => encodePeer({ ...ok, asn: 0 }))).toBe("asn");
    expect(fieldOf(() => encodePeer({ ...ok, asn: 2 ** 32 }))).toBe("asn");
    expect(fieldOf(() => encodePeer({ ...ok, localAsn: -5 }))).toBe("localAsn");
    expect(fieldOf(() => encodePeer({ ...ok, password: "" }))).toBe("password");
    expect(fieldOf(() => encodePeer({ ...ok, password: "x".repeat(81) }))).toBe("password");
    expect(fieldOf(() => encodePeer({ ...ok, ebgpMultihopTtl: 256 }))).toBe("ebgpMultihopTtl");
    expect(fieldOf(() => encodePeer({ ...ok, timers: { holdTime: 2 } }))).toBe("timers.holdTime");
    expect(fieldOf(() => encodePeer({ ...ok, gracefulRestart: { enabled: true, restartTime: 5000 } }))).toBe("gracefulRestart.restartTime");
    expect(fieldOf(() => encodePeer({ ...ok, routeReflector: { client: true, clusterId: "2001:db8::1" } }))).toBe("routeReflector.clusterId");
    expect(fieldOf(() => encodePeer({ ...ok, families: [] }))).toBe("families");
    expect(fieldOf(() => encodePeer({ ...ok, families: ["l2vpn-evpn" as "ipv4-unicast"] }))).toBe("families[0]");
    expect(fieldOf(() => encodePeer({ ...ok, localAddress: "eth0" }))).toBe("localAddress");
    expect(fieldOf(() => encodePeer({ ...ok, remotePort: 0 }))).toBe("remotePort");
  });
});

describe("decodePeer", () => {
  // Shaped like gobgpd 3.10's ListPeer answer for an established iBGP session.
  const answer = {
    conf: { neighborAddress: "192.0.2.12", peerAsn: 64512, localAsn: 64512, description: "b", adminDown: false },
    state: {
      sessionState: "ESTABLISHED", adminState: "UP", peerAsn: 64512, type: "INTERNAL", neighborAddress: "192.0.2.12",
      routerId: "192.0.2.12",
      messages: { received: { total: 10, update: 3, open: 1, keepalive: 6, notification: 0, refresh: 0, discarded: 0 }, sent: { total: 9, update: 2 } },
    },
    timers: { state: { uptime: { seconds: 1700000000, nanos: 0 }, negotiatedHoldTime: 9 } },
    afiSafis: [
      { config: { family: { afi: "AFI_IP", safi: "SAFI_UNICAST" } }, state: { family: { afi: "AFI_IP", safi: "SAFI_UNICAST" }, received: 3, accepted: 2, advertised: 1 } },
      { config: { family: { afi: "AFI_IP6", safi: "SAFI_UNICAST" } }, state: null },
    ],
  };

  it("decodes state, uptime, counters and type", () => {
    const p = decodePeer(answer);
    expect(p).toEqual({
      address: "192.0.2.12", asn: 64512, localAsn: 64512, type: "iBGP", description: "b", state: "Established",
      adminDown: false, since: new Date(1700000000000), routerId: "192.0.2.12", negotiatedHoldTime: 9,
      prefixes: { received: 3, accepted: 2, advertised: 1 },
      families: [
        { family: "ipv4-unicast", received: 3, accepted: 2, advertised: 1 },
        { family: "ipv6-unicast", received: 0, accepted: 0, advertised: 0 },
      ],
      messages: {
        received: { total: 10, update: 3, open: 1, keepalive: 6, notification: 0, refresh: 0, discarded: 0 },
        sent: { total: 9, update: 2, open: 0, keepalive: 0, notification: 0, refresh: 0, discarded: 0 },
      },
    });
  });

  it("reports no uptime unless established, and eBGP when the AS numbers differ", () => {
    const down = decodePeer({ ...answer, conf: { ...answer.conf, peerAsn: 64513 }, state: { ...answer.state, sessionState: "ACTIVE", routerId: "<nil>" } });
    expect(down).toMatchObject({ state: "Active", since: undefined, type: "eBGP", routerId: undefined });
  });

  it("does not count the End-of-RIB marker gobgpd adds when graceful restart is negotiated", () => {
    const gr = {
      ...answer,
      gracefulRestart: { enabled: true },
      state: { ...answer.state, remoteCap: [{ "@type": "type.googleapis.com/apipb.GracefulRestartCapability", time: 30 }] },
    };
    expect(decodePeer(gr).families.map((f) => f.advertised)).toEqual([0, 0]);
    expect(decodePeer({ ...gr, gracefulRestart: { enabled: false } }).prefixes.advertised).toBe(1);
  });

  it("survives an empty answer", () => {
    expect(decodePeer(undefined)).toMatchObject({ address: "", state: "Unknown", families: [], since: undefined });
  });

  it("maps every session state name and number", () => {
    expect(["IDLE", "CONNECT", "ACTIVE", "OPENSENT", "OPENCONFIRM", "ESTABLISHED"].map(sessionStateFromApi))
      .toEqual(["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"]);
    expect(sessionStateFromApi(6)).toBe("Established");
    expect(sessionStateFromApi("WEIRD")).toBe("Unknown");
  });
});
