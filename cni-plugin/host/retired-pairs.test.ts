// DEL's retirement of a pair and the reaping policy, against a recording stand-in for the
// netlink socket (the kernel side is tested on namespaces in test/cni/plugin.test.ts).
import { existsSync, mkdtempSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetlinkError } from "../netlink/netlink-error.ts";
import { Ifla, IflaInfo, Rtm, macBytes } from "../netlink/rtnl.ts";
import { attr, attrNested, attrString, attrU32, parseAttrs, readString, readU32, type NlMessage } from "../netlink/wire.ts";
import type { RtnlSocket } from "./netlink-socket.ts";
import { retire, retiredPairs } from "./retired-pairs.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-retired-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function linkMessage(kind: string, mac: string, index = 7, peer = 3, name = "ptl0123456789ab"): NlMessage {
  const ifinfo = new Uint8Array(16);
  new DataView(ifinfo.buffer).setInt32(4, index, true);
  const payload = new Uint8Array([...ifinfo, ...attrString(Ifla.ifname, name), ...attr(Ifla.address, macBytes(mac)),
    ...attrU32(Ifla.link, peer), ...attrU32(Ifla.linkNetnsId, 1), ...attrNested(Ifla.linkinfo, attrString(IflaInfo.kind, kind))]);
  return { type: Rtm.newLink, flags: 0, seq: 1, payload };
}

/** Records each request as "TYPE index attrs…"; `failOn` makes the request at that position fail. */
function recordingSocket(link: NlMessage | undefined, failOn?: number) {
  const sent: string[] = [];
  const describe = (bytes: Uint8Array): string => {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const type = v.getUint16(4, true) === Rtm.delLink ? "DEL" : v.getUint16(4, true) === Rtm.getLink ? "GET" : "SET";
    const attrs = parseAttrs(bytes.subarray(16), 16);
    const parts = [type, `index ${v.getInt32(20, true)}`];
    if (v.getUint32(28, true) !== 0) parts.push(v.getUint32(24, true) === 0 ? "down" : "up");
    const name = readString(attrs.get(Ifla.ifname));
    if (name !== undefined) parts.push(`name ${name}`);
    const group = readU32(attrs.get(Ifla.group));
    if (group !== undefined) parts.push(`group ${group}`);
    return parts.join(" ");
  };
  const socket = {
    ack(build: (seq: number) => Uint8Array, what: string): void {
      sent.push(describe(build(sent.length)));
      if (failOn === sent.length) throw new NetlinkError(what, 17);
    },
    get(build: (seq: number) => Uint8Array): NlMessage | undefined {
      sent.push(describe(build(sent.length)));
      return link;
    },
    close(): void {
      sent.push("CLOSE");
    },
  };
  return { socket: socket as unknown as RtnlSocket, sent };
}

describe("retire", () => {
  it("takes a Petrel veth down, then renames it into group 89 (no pod end given: host side only)", () => {
    const retired = retiredPairs(join(dir, "stamp"));
    const { socket, sent } = recordingSocket(linkMessage("veth", "ee:ee:ee:ee:ee:ee"));
    retire(socket, "ptl0123456789ab", retired);
    expect(sent).toEqual([
      "GET index 0 name ptl0123456789ab",
      "SET index 7 down",
      "SET index 7 name ptx0123456789ab group 89",
    ]);
    expect(existsSync(join(dir, "stamp"))).toBe(true);
  });

  it("retires the pod end through the socket made in its netns, between taking the host end down and renaming it", () => {
    const host = recordingSocket(linkMessage("veth", "ee:ee:ee:ee:ee:ee"));
    const pod = recordingSocket(linkMessage("veth", "0e:01:02:03:04:05", 2, 7, "eth0"));
    const opened: string[] = [];
    retire(host.socket, "ptl0123456789ab", retiredPairs(join(dir, "stamp")), {
      netns: "/var/run/netns/p",
      ifname: "eth0",
      open: (netns) => (opened.push(netns), pod.socket),
    });
    expect(opened).toEqual(["/var/run/netns/p"]);
    expect(host.sent).toEqual(["GET index 0 name ptl0123456789ab", "SET index 7 down", "SET index 7 name ptx0123456789ab group 89"]);
    expect(pod.sent[0]).toBe("GET index 0 name eth0");
    expect(pod.sent.slice(1, -1).join(" | ")).toMatch(/index 2 down.*name ptx0123456789ab/);
    expect(pod.sent.at(-1)).toBe("CLOSE");
  });

  it("leaves the pod's eth0 alone when it is not the peer of this host end, and copes with a netns that is gone", () => {
    const host = recordingSocket(linkMessage("veth", "ee:ee:ee:ee:ee:ee"));
    const pod = recordingSocket(linkMessage("veth", "0e:01:02:03:04:05", 2, 99, "eth0"));
    retire(host.socket, "ptl0123456789ab", retiredPairs(join(dir, "stamp")), { netns: "/n", ifname: "eth0", open: () => pod.socket });
    expect(pod.sent).toEqual(["GET index 0 name eth0", "CLOSE"]);
    const gone = recordingSocket(linkMessage("veth", "ee:ee:ee:ee:ee:ee"));
    retire(gone.socket, "ptl0123456789ab", retiredPairs(join(dir, "stamp2")), { netns: "/n", ifname: "eth0", open: () => undefined });
    expect(gone.sent).toEqual(["GET index 0 name ptl0123456789ab", "SET index 7 down", "SET index 7 name ptx0123456789ab group 89"]);
  });

  it("leaves alone a device of that name that is not a Petrel veth, and a missing one", () => {
    for (const link of [linkMessage("dummy", "ee:ee:ee:ee:ee:ee"), linkMessage("veth", "02:00:00:00:00:01"), undefined]) {
      const { socket, sent } = recordingSocket(link);
      retire(socket, "ptl0123456789ab", retiredPairs(join(dir, "stamp")));
      expect(sent).toEqual(["GET index 0 name ptl0123456789ab"]);
    }
    expect(existsSync(join(dir, "stamp"))).toBe(false);
  });

  it("destroys the pair at once when a step fails (the retired name is taken)", () => {
    const { socket, sent } = recordingSocket(linkMessage("veth", "ee:ee:ee:ee:ee:ee"), 3);
    retire(socket, "ptl0123456789ab", retiredPairs(join(dir, "stamp")));
    expect(sent.slice(2)).toEqual(["SET index 7 name ptx0123456789ab group 89", "DEL index 0 name ptl0123456789ab"]);
    expect(existsSync(join(dir, "stamp"))).toBe(false);
  });
});

describe("reaping", () => {
  it("destroys every retired pair with one request once the oldest is 10 s old, and only then", () => {
    const stamp = join(dir, "stamp");
    const retired = retiredPairs(stamp);
    const { socket, sent } = recordingSocket(undefined);
    expect(retired.reapIfDue(socket)).toBeUndefined(); // nothing retired
    retired.noteRetired();
    const first = statSync(stamp).mtimeMs;
    const old = new Date(Date.now() - 5_000);
    utimesSync(stamp, old, old);
    retired.noteRetired(); // a later retirement keeps the oldest time
    expect(statSync(stamp).mtimeMs).toBeLessThan(first);
    expect(retired.reapIfDue(socket)).toBeUndefined();
    expect(sent).toEqual([]);
    const due = new Date(Date.now() - 11_000);
    utimesSync(stamp, due, due);
    expect(retired.reapIfDue(socket)).toEqual(expect.any(Number));
    expect(sent).toEqual(["DEL index 0 group 89"]);
    expect(existsSync(stamp)).toBe(false);
  });

  it("reaps when the clock stepped back (a stamp from the future)", () => {
    const stamp = join(dir, "stamp");
    const retired = retiredPairs(stamp);
    retired.noteRetired();
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(stamp, future, future);
    const { socket, sent } = recordingSocket(undefined);
    retired.reapIfDue(socket);
    expect(sent).toEqual(["DEL index 0 group 89"]);
  });
});
