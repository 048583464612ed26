import { InvalidInputError, TransientError } from "../../common/errors.ts";
import { packAny } from "./attributes.ts";
import { GobgpClient } from "./client.ts";
import { GobgpError, grpcStatus } from "./grpc-error.ts";
import { FakeTransport, statusError } from "./testing/fake-transport.ts";

const notStarted = { global: { asn: 0, routerId: "", listenPort: 0, listenAddresses: [] } };
const running = { global: { asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: ["192.0.2.11"] } };

let transport: FakeTransport;
let client: GobgpClient;

beforeEach(() => {
  transport = new FakeTransport();
  client = new GobgpClient(transport);
});

describe("global", () => {
  it("starts BGP when it is not running", async () => {
    transport.answer("GetBgp", notStarted);
    await client.startBgp({ asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: ["192.0.2.11"] });
    expect(transport.requestsOf("StartBgp")).toEqual([
      { global: { asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: ["192.0.2.11"] } },
    ]);
  });

  it("does nothing when BGP already runs with the same settings, and refuses other settings", async () => {
    transport.answer("GetBgp", running);
    await client.startBgp({ asn: 64512, routerId: "192.0.2.11", listenPort: 179 });
    expect(transport.requestsOf("StartBgp")).toEqual([]);
    await expect(client.startBgp({ asn: 64513, routerId: "192.0.2.11", listenPort: 179 })).rejects.toThrow(GobgpError);
    await expect(client.startBgp({ asn: 64513, routerId: "192.0.2.11", listenPort: 179 })).rejects.toThrow(/stopBgp first/);
  });

  it("validates before calling gobgpd", async () => {
    await expect(client.startBgp({ asn: 64512, routerId: "2001:db8::1", listenPort: 179 })).rejects.toMatchObject({ field: "routerId" });
    await expect(client.startBgp({ asn: 64512, routerId: "192.0.2.11", listenPort: 70000 })).rejects.toMatchObject({ field: "listenPort" });
    await expect(client.startBgp({ asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: ["any"] })).rejects.toMatchObject({ field: "listenAddresses[0]" });
    expect(transport.calls).toEqual([]);
  });

  it("reports no configuration when BGP is not started", async () => {
    transport.answer("GetBgp", notStarted);
    expect(await client.getBgp()).toBeUndefined();
  });

  it("turns an unreachable gobgpd into a transient error", async () => {
    transport.answer("GetBgp", statusError(grpcStatus.UNAVAILABLE, "No connection established"));
    const err = await client.getBgp().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain(transport.target);
  });
});

describe("peers", () => {
  it("sends the encoded peer and names the field gobgpd's refusal is about", async () => {
    transport.answer("AddPeer", statusError(grpcStatus.UNKNOWN, "can't overwrite the existing peer: 192.0.2.12"));
    const err = await client.addPeer({ address: "192.0.2.12", asn: 64512 }).catch((e: unknown) => e);
    expect(transport.requestsOf("AddPeer")[0]).toMatchObject({ peer: { conf: { neighborAddress: "192.0.2.12", peerAsn: 64512 } } });
    expect(err).toMatchObject({ reason: "exists", field: "address", kind: "permanent" });
  });

  it("updates with a soft reset, deletes and resets by address", async () => {
    await client.updatePeer({ address: "192.0.2.12", asn: 64512, description: "b" });
    await client.deletePeer("192.0.2.12");
    await client.resetPeer("192.0.2.12", { soft: "in" });
    await client.resetPeer("192.0.2.12");
    expect(transport.requestsOf("UpdatePeer")[0]).toMatchObject({ doSoftResetIn: true, peer: { conf: { description: "b" } } });
    expect(transport.requestsOf("DeletePeer")).toEqual([{ address: "192.0.2.12" }]);
    expect(transport.requestsOf("ResetPeer")).toEqual([
      { address: "192.0.2.12", soft: true, direction: "IN" },
      { address: "192.0.2.12", soft: false, direction: "BOTH" },
    ]);
    await expect(client.deletePeer("b.example")).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("lists peers with advertised counts", async () => {
    transport.answer("ListPeer", [{ peer: { conf: { neighborAddress: "192.0.2.12", peerAsn: 64512, localAsn: 64512 }, state: { sessionState: "IDLE" } } }]);
    const peers = await client.listPeers();
    expect(transport.requestsOf("ListPeer")).toEqual([{ address: "", enableAdvertised: true }]);
    expect(peers).toMatchObject([{ address: "192.0.2.12", state: "Idle", type: "iBGP" }]);
    expect(await client.getPeer("192.0.2.12")).toMatchObject({ address: "192.0.2.12" });
  });
});

describe("paths", () => {
  it("adds a path and returns its UUID", async () => {
    transport.answer("AddPath", { uuid: Buffer.from("00112233445566778899aabbccddeeff", "hex") });
    const uuid = await client.addPath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.11" });
    expect(uuid).toBe("00112233-4455-6677-8899-aabbccddeeff");
    expect(transport.requestsOf("AddPath")[0]).toMatchObject({ tableType: "GLOBAL", path: { family: { afi: "AFI_IP" } } });
  });

  it("deletes by UUID or by prefix", async () => {
    await client.deletePath({ uuid: "00112233-4455-6677-8899-aabbccddeeff" });
    await client.deletePath({ prefix: "2001:db8:1::/64" });
    const [byUuid, byPrefix] = transport.requestsOf("DeletePath");
    expect(byUuid).toEqual({ tableType: "GLOBAL", uuid: Buffer.from("00112233445566778899aabbccddeeff", "hex") });
    expect(byPrefix).toMatchObject({ tableType: "GLOBAL", family: { afi: "AFI_IP6" }, path: { nlri: { prefix: "2001:db8:1::", prefixLen: 64 } } });
  });

  it("lists a table, flattening destinations", async () => {
    const p = (best: boolean, nh: string) => ({
      nlri: packAny("IPAddressPrefix", { prefix: "198.18.0.0", prefixLen: 26 }),
      pattrs: [packAny("NextHopAttribute", { nextHop: nh })], best, family: { afi: "AFI_IP", safi: "SAFI_UNICAST" },
    });
    transport.answer("ListPath", [{ destination: { prefix: "198.18.0.0/26", paths: [p(true, "192.0.2.11"), p(false, "192.0.2.13")] } }]);
    const paths = await client.listPaths({ family: "ipv4-unicast", table: "adj-in", peer: "192.0.2.11", prefixes: ["198.18.0.0/26"], includeFiltered: true });
    expect(paths.map((x) => [x.prefix, x.nextHop, x.best])).toEqual([["198.18.0.0/26", "192.0.2.11", true], ["198.18.0.0/26", "192.0.2.13", false]]);
    expect(transport.requestsOf("ListPath")[0]).toEqual({
      tableType: "ADJ_IN", name: "192.0.2.11", family: { afi: "AFI_IP", safi: "SAFI_UNICAST" },
      prefixes: [{ prefix: "198.18.0.0/26", type: "EXACT" }], enableFiltered: true,
    });
  });

  it("needs a peer for adj-in and adj-out, and prefixes of the listed family", async () => {
    await expect(client.listPaths({ family: "ipv4-unicast", table: "adj-out" })).rejects.toMatchObject({ field: "peer" });
    await expect(client.listPaths({ family: "ipv4-unicast", table: "global", prefixes: ["2001:db8::/64"] })).rejects.toMatchObject({ field: "prefixes[0]" });
  });
});

describe("policy", () => {
  it("adds sets, policies and assignments on the global RIB", async () => {
    await client.addDefinedSet({ type: "prefix", name: "pools", prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] });
    await client.addPolicy({ name: "only-pools", statements: [{ conditions: { prefixSet: { name: "pools" } }, action: "accept" }] });
    await client.setPolicyAssignment({ direction: "import", policies: ["only-pools"], defaultAction: "reject" });
    await client.deletePolicyAssignment("import");
    await client.deletePolicy("only-pools");
    await client.deleteDefinedSet("prefix", "pools");
    expect(transport.calls.map((c) => c.method)).toEqual([
      "AddDefinedSet", "AddPolicy", "SetPolicyAssignment", "DeletePolicyAssignment", "DeletePolicy", "DeleteDefinedSet",
    ]);
    expect(transport.requestsOf("SetPolicyAssignment")[0]).toEqual({
      assignment: { name: "global", direction: "IMPORT", policies: [{ name: "only-pools" }], defaultAction: "REJECT" },
    });
    expect(transport.requestsOf("DeleteDefinedSet")[0]).toEqual({ definedSet: { definedType: "PREFIX", name: "pools" }, all: true });
  });

  it("replaces a set's entries by adding the missing ones before removing the stale ones", async () => {
    transport.answer("ListDefinedSet", [{
      definedSet: { definedType: "PREFIX", name: "pools", prefixes: [{ ipPrefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }, { ipPrefix: "198.19.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] },
    }]);
    await client.replaceDefinedSet({
      type: "prefix", name: "pools",
      prefixes: [{ prefix: "198.19.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }, { prefix: "198.18.0.0/24", maskLengthMin: 26, maskLengthMax: 32 }],
    });
    expect(transport.calls.map((c) => c.method)).toEqual(["ListDefinedSet", "AddDefinedSet", "DeleteDefinedSet"]);
    expect(transport.requestsOf("AddDefinedSet")[0]).toMatchObject({ definedSet: { prefixes: [{ ipPrefix: "198.18.0.0/24", maskLengthMin: 26, maskLengthMax: 32 }] } });
    expect(transport.requestsOf("DeleteDefinedSet")[0]).toMatchObject({ all: false, definedSet: { prefixes: [{ ipPrefix: "198.18.0.0/16" }] } });
  });

  it("creates a set that does not exist yet and leaves an equal one alone", async () => {
    transport.answer("ListDefinedSet", [], [{ definedSet: { definedType: "NEIGHBOR", name: "tors", list: ["192.0.2.1/32"] } }]);
    await client.replaceDefinedSet({ type: "neighbor", name: "tors", neighbors: ["192.0.2.1"] });
    await client.replaceDefinedSet({ type: "neighbor", name: "tors", neighbors: ["192.0.2.1"] });
    expect(transport.calls.map((c) => c.method)).toEqual(["ListDefinedSet", "AddDefinedSet", "ListDefinedSet"]);
  });

  it("lists policies and global assignments", async () => {
    transport.answer("ListPolicy", [{ policy: { name: "p", statements: [{ name: "p-0", actions: { routeAction: "REJECT" } }] } }]);
    transport.answer("ListPolicyAssignment", [
      { assignment: { name: "global", direction: "IMPORT", policies: [{ name: "p" }], defaultAction: "REJECT" } },
      { assignment: { name: "global", direction: "EXPORT", policies: [], defaultAction: "NONE" } },
    ]);
    expect(await client.listPolicies()).toEqual([{ name: "p", statements: [{ name: "p-0", action: "reject" }] }]);
    expect(await client.listPolicyAssignments()).toEqual([
      { direction: "import", policies: ["p"], defaultAction: "reject" },
      { direction: "export", policies: [], defaultAction: "accept" },
    ]);
  });
});

it("stops its watches and closes the transport", () => {
  const events: unknown[] = [];
  const stopped = client.watchBestPaths("ipv4-unicast", (e) => events.push(e));
  const running = client.watchBestPaths("ipv6-unicast", (e) => events.push(e));
  stopped.stop();
  client.close();
  expect(transport.streams.map((s) => s.cancelled)).toEqual([true, true]);
  expect(transport.closed).toBe(true);
  running.stop();
  expect(() => client.watchBestPaths("ipv4" as "ipv4-unicast", () => undefined)).toThrow(/unknown address family/);
});
