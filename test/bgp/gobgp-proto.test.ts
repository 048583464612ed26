// The codecs' objects through the installed gobgp .proto files: every field and enum name the
// client writes must survive protobuf encoding. protobufjs drops unknown fields and turns unknown
// enum names into 0 without a word, so a typo would otherwise only show as odd gobgpd behaviour.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageTypeDefinition, PackageDefinition } from "@grpc/proto-loader";
import { PetrelError } from "../../common/errors.ts";
import { bestPathsOf } from "../../bgp/gobgp/best-path-watch.ts";
import { decodePath, encodePath, encodeWithdrawal } from "../../bgp/gobgp/path-codec.ts";
import { decodePeer, encodePeer } from "../../bgp/gobgp/peer-codec.ts";
import { encodeAssignment, encodeDefinedSet, encodePolicy } from "../../bgp/gobgp/policy-codec.ts";
import { defaultGobgpProtoDir, gobgpProtoDir, gobgpProtoDirEnv, loadGobgpProto } from "../../bgp/gobgp/host/gobgp-proto.ts";

let definition: PackageDefinition;

beforeAll(() => {
  definition = loadGobgpProto(gobgpProtoDir());
});

function messageType(name: string): MessageTypeDefinition<object, object> {
  const t = definition[`apipb.${name}`];
  if (t === undefined || !("serialize" in t)) throw new Error(`no message apipb.${name}`);
  return t as MessageTypeDefinition<object, object>;
}

function roundTrip(name: string, value: Record<string, unknown>): Record<string, unknown> {
  const t = messageType(name);
  return t.deserialize(t.serialize(value)) as Record<string, unknown>;
}

describe("the proto directory", () => {
  it("is an explicit one, else $PETREL_GOBGP_PROTO_DIR, else Debian's", () => {
    expect(gobgpProtoDir("/x", { [gobgpProtoDirEnv]: "/y" })).toBe("/x");
    expect(gobgpProtoDir(undefined, { [gobgpProtoDirEnv]: "/y" })).toBe("/y");
    expect(gobgpProtoDir(undefined, {})).toBe(defaultGobgpProtoDir);
  });

  it("fails with a message that says how to fix a missing directory", () => {
    const empty = mkdtempSync(join(tmpdir(), "petrel-noproto-"));
    try {
      expect(() => loadGobgpProto(empty)).toThrow(PetrelError);
      expect(() => loadGobgpProto(empty)).toThrow(new RegExp(`${gobgpProtoDirEnv}`));
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});

describe("requests survive encoding", () => {
  it.each([
    ["IPv4", { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: ["64512:1"], largeCommunities: ["64512:1:2"], localPref: 200, med: 3, origin: "egp" as const }],
    ["IPv6", { prefix: "2001:db8:1::/64", nextHop: "2001:db8::11" }],
  ])("AddPathRequest (%s), and the path decodes back", (_label, input) => {
    const request = { tableType: "GLOBAL", path: encodePath(input).path };
    const back = roundTrip("AddPathRequest", request);
    expect(back).toMatchObject(request);
    expect(decodePath(back["path"])).toMatchObject({ prefix: input.prefix, nextHop: input.nextHop, withdrawal: false });
  });

  it("DeletePathRequest by prefix and by UUID", () => {
    const path = encodeWithdrawal("2001:db8:1::/64");
    expect(roundTrip("DeletePathRequest", { tableType: "GLOBAL", family: path["family"], path })).toMatchObject({ family: path["family"], path });
    const uuid = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    expect(roundTrip("DeletePathRequest", { tableType: "GLOBAL", uuid })["uuid"]).toEqual(uuid);
  });

  it("AddPeerRequest with every option", () => {
    const peer = encodePeer({
      address: "192.0.2.12", asn: 64513, localAsn: 64512, description: "d", password: "p", ebgpMultihopTtl: 3,
      timers: { holdTime: 9, keepaliveInterval: 3, connectRetry: 5 }, gracefulRestart: { enabled: true, restartTime: 90 },
      routeReflector: { client: true, clusterId: "198.51.100.1" }, families: ["ipv4-unicast", "ipv6-unicast"],
      passive: true, localAddress: "192.0.2.11", remotePort: 1179,
    });
    expect(roundTrip("AddPeerRequest", { peer })).toMatchObject({ peer });
  });

  it("policy requests", () => {
    const definedSet = encodeDefinedSet({ type: "prefix", name: "pools", prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] });
    expect(roundTrip("AddDefinedSetRequest", { definedSet })).toMatchObject({ definedSet });
    const neighbors = encodeDefinedSet({ type: "neighbor", name: "n", neighbors: ["192.0.2.1"] });
    expect(roundTrip("AddDefinedSetRequest", { definedSet: neighbors })).toMatchObject({ definedSet: neighbors });
    const policy = encodePolicy({
      name: "p",
      statements: [{ conditions: { prefixSet: { name: "pools", match: "invert" }, neighborSet: { name: "n" } }, action: "reject", setLocalPref: 50, addCommunities: ["64512:5"] }],
    });
    expect(roundTrip("AddPolicyRequest", { policy })).toMatchObject({ policy });
    const assignment = encodeAssignment({ direction: "export", policies: ["p"], defaultAction: "reject" });
    expect(roundTrip("SetPolicyAssignmentRequest", { assignment })).toMatchObject({ assignment });
  });

  it("list and watch requests", () => {
    const list = { tableType: "ADJ_OUT", name: "192.0.2.12", family: { afi: "AFI_IP6", safi: "SAFI_UNICAST" }, prefixes: [{ prefix: "2001:db8::/64", type: "EXACT" }], enableFiltered: true };
    expect(roundTrip("ListPathRequest", list)).toMatchObject(list);
    const watch = { table: { filters: [{ type: "BEST", init: true }] } };
    expect(roundTrip("WatchEventRequest", watch)).toMatchObject(watch);
    expect(roundTrip("ResetPeerRequest", { address: "192.0.2.12", soft: true, direction: "IN" })).toMatchObject({ direction: "IN" });
  });
});

describe("answers decode", () => {
  it("a WatchEvent table event, with the oneof named", () => {
    const paths = [roundTrip("AddPathRequest", { path: encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.11" }).path })["path"]];
    const back = roundTrip("WatchEventResponse", { table: { paths } });
    expect(back["event"]).toBe("table");
    expect(bestPathsOf(back, "ipv4-unicast")).toMatchObject([{ prefix: "198.18.0.0/26", best: true }]);
  });

  it("a ListPeer answer with timestamps and 64-bit counters as numbers", () => {
    const back = roundTrip("ListPeerResponse", {
      peer: {
        conf: { neighborAddress: "192.0.2.12", peerAsn: 64512, localAsn: 64512 },
        state: { sessionState: "ESTABLISHED", messages: { received: { total: 2 ** 40 } } },
        timers: { state: { uptime: { seconds: 1_700_000_000, nanos: 0 } } },
      },
    });
    expect(decodePeer(back["peer"])).toMatchObject({ state: "Established", since: new Date(1_700_000_000_000), messages: { received: { total: 2 ** 40 } } });
  });
});
