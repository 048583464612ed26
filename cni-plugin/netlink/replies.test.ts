// Decoding the kernel's answers, on replies captured from the kernel (testdata/iproute2.json).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatAddress } from "../../common/cidr.ts";
import { decodeAddress } from "./address.ts";
import { errnoName, errnoText } from "./errno.ts";
import { decodeLink } from "./link.ts";
import { NetlinkError } from "./netlink-error.ts";
import { decodeRoute } from "./route.ts";
import { NlmsgType, attr, attrNested, attrString, attrU32, decodeAck, parseAttrs, readString, readU32, splitMessages } from "./wire.ts";

interface Golden { replies: Record<string, string> }
const golden = JSON.parse(readFileSync(join(__dirname, "testdata", "iproute2.json"), "utf8")) as Golden;
const reply = (name: string): Uint8Array => {
  const hex = golden.replies[name];
  if (hex === undefined) throw new Error(`testdata/iproute2.json has no reply ${name}`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
};
const only = (name: string) => {
  const ms = splitMessages(reply(name));
  expect(ms).toHaveLength(1);
  return ms[0] as NonNullable<(typeof ms)[0]>;
};

describe("links", () => {
  it("the host veth: index, name, MTU, fixed MAC, kind, peer index and the peer's netns id", () => {
    const link = decodeLink(only("hostLink").payload);
    expect(link).toEqual({
      index: 2, name: "ptl0123456789ab", flags: 0x1003, mtu: 1450, mac: "ee:ee:ee:ee:ee:ee", kind: "veth", peerIndex: 2, peerNetnsId: 0, group: 0,
    });
  });

  it("the pod's eth0 after `link set up`: its peer is the host veth (index 2), in another netns", () => {
    const link = decodeLink(only("podLink").payload);
    expect(link).toMatchObject({ index: 2, name: "eth0", mtu: 1450, mac: "0e:01:02:03:04:05", kind: "veth", peerIndex: 2, peerNetnsId: 0 });
  });
});

describe("acks and errors", () => {
  it("a positive ack", () => {
    const m = only("ack");
    expect(m.type).toBe(NlmsgType.error);
    expect(decodeAck(m)).toEqual({ errno: 0, detail: undefined, seq: m.seq });
  });

  it("EEXIST with the whole request echoed back (no NETLINK_CAP_ACK), no message", () => {
    expect(decodeAck(only("errorExists"))).toMatchObject({ errno: 17, detail: undefined });
  });

  it("an error the kernel explains: the extended-ack message after the echoed header", () => {
    expect(decodeAck(only("errorWithMessage"))).toMatchObject({ errno: 101, detail: "Nexthop has invalid gateway" });
  });

  it("a capped error with a message, built by hand (what the plugin's sockets receive)", () => {
    const echoedHeader = new Uint8Array(16);
    new DataView(echoedHeader.buffer).setUint32(0, 148, true);
    const payload = new Uint8Array([...new Uint8Array(Int32Array.of(-17).buffer), ...echoedHeader, ...attrString(1, "veth exists")]);
    const header = new Uint8Array(16);
    const v = new DataView(header.buffer);
    v.setUint32(0, 16 + payload.length, true);
    v.setUint16(4, NlmsgType.error, true);
    v.setUint16(6, 0x100 | 0x200, true);
    v.setUint32(8, 42, true);
    const [m] = splitMessages(new Uint8Array([...header, ...payload]));
    expect(decodeAck(m as NonNullable<typeof m>)).toEqual({ errno: 17, detail: "veth exists", seq: 42 });
  });

  it("errors name the object first, then strerror's text, then the kernel's explanation", () => {
    expect(new NetlinkError("veth ptl0123456789ab", 17).message).toBe("veth ptl0123456789ab: File exists");
    expect(new NetlinkError("route 198.51.100.0/24 dev eth0", 101, "Nexthop has invalid gateway").message)
      .toBe("route 198.51.100.0/24 dev eth0: Network is unreachable (Nexthop has invalid gateway)");
    expect(new NetlinkError("x", 17).code).toBe("EEXIST");
    expect([errnoText(19), errnoName(19), errnoText(4095)]).toEqual(["No such device", "ENODEV", "errno 4095"]);
  });
});

describe("routes and addresses", () => {
  it("the host route that `route get fibmatch` returns: /32, main table, proto 89, scope link, oif", () => {
    const r = decodeRoute(only("hostRouteV4").payload);
    expect({ ...r, dst: r.dst && formatAddress(r.dst) }).toEqual({
      family: 4, dst: "198.18.0.7", dstLength: 32, table: 254, protocol: 89, scope: 253, type: 1, gateway: undefined, oif: 2,
    });
  });

  it("the pod's IPv6 routes, from a dump spread over several messages", () => {
    const routes = splitMessages(reply("podRouteDumpV6")).filter((m) => m.type === 24).map((m) => decodeRoute(m.payload));
    const main = routes.filter((r) => r.table === 254).map((r) => `${r.dst === undefined ? "default" : `${formatAddress(r.dst)}/${r.dstLength}`}` +
      `${r.gateway === undefined ? "" : ` via ${formatAddress(r.gateway)}`} oif ${r.oif} proto ${r.protocol}`);
    expect(main).toEqual(expect.arrayContaining(["2001:db8::7/128 oif 2 proto 2", "default via fe80::ecee:eeff:feee:eeee oif 2 proto 3"]));
  });

  it("the pod's addresses: /32 and /128 (nodad) on eth0", () => {
    const addrs = splitMessages(reply("podAddressDump")).filter((m) => m.type === 20).map((m) => decodeAddress(m.payload));
    const text = addrs.map((a) => `${a.address && formatAddress(a.address)}/${a.prefixLength} if${a.index} flags ${a.flags.toString(16)}`);
    expect(text).toEqual(expect.arrayContaining(["198.18.0.7/32 if2 flags 80", "2001:db8::7/128 if2 flags 82"]));
  });
});

describe("framing", () => {
  it("nested attributes round-trip, padded to 4 bytes", () => {
    const nested = attrNested(18, attrString(1, "veth"), attrU32(2, 7));
    expect(nested.length % 4).toBe(0);
    const outer = parseAttrs(nested).get(18) as Uint8Array;
    const inner = parseAttrs(outer);
    expect(readString(inner.get(1))).toBe("veth");
    expect(readU32(inner.get(2))).toBe(7);
    expect(attr(3, Uint8Array.of(1)).length).toBe(8);
  });

  it("refuses a message whose length runs past the datagram", () => {
    const b = new Uint8Array(20);
    new DataView(b.buffer).setUint32(0, 64, true);
    expect(() => splitMessages(b)).toThrow(/malformed netlink message: length 64 at offset 0 of 20/);
  });
});
