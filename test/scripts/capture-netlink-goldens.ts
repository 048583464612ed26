// Captures the golden bytes for cni-plugin/netlink/*.test.ts: what iproute2 sends to the kernel
// (and what the kernel answers) for each step of a pod's wiring, read with `strace -e write=`
// from real `ip` runs in two throw-away namespaces. Run as root, under the privileged lock:
//   /work/bin/privileged node test/scripts/capture-netlink-goldens.ts
// Writes cni-plugin/netlink/testdata/iproute2.json (sequence numbers and port ids zeroed).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../rig/repo-root.ts";
import { must, run } from "../rig/run-process.ts";

const ns = `ptl-golden-${process.pid}`;
const pod = `ptl-goldenpod-${process.pid}`;

interface Call { call: "sendmsg" | "recvmsg"; bytes: Buffer }

/** Runs `ip ARGS` in `netns` under strace; returns each sendmsg/recvmsg with its data. */
function traced(netns: string, args: string[], mayFail = false): Call[] {
  const r = spawnSync("ip", ["netns", "exec", netns, "strace", "-f", "-xx", "-s", "0", "-e", "trace=sendmsg,recvmsg",
    "-e", "write=3,4,5,6", "-e", "read=3,4,5,6", "ip", ...args], { encoding: "utf8" });
  if (r.status !== 0 && !mayFail) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr}`);
  const calls: Call[] = [];
  let hex = "";
  let current: Call["call"] | undefined;
  const flush = (): void => {
    if (current !== undefined && hex !== "") calls.push({ call: current, bytes: Buffer.from(hex, "hex") });
    hex = "";
  };
  for (const line of r.stderr.split("\n")) {
    const m = /^(?:\[pid\s+\d+\] )?(sendmsg|recvmsg)\(/.exec(line);
    if (m !== null) {
      flush();
      current = m[1] as Call["call"];
    } else if (/^ \| [0-9a-f]{5} {2}/.test(line)) {
      hex += line.slice(10, 59).replace(/\s+/g, "");
    }
  }
  flush();
  return calls;
}

function zeroSeq(b: Buffer): string {
  const c = Buffer.from(b);
  c.fill(0, 8, 16);
  return c.toString("hex");
}

/** The request iproute2 sent whose nlmsg_type is `type` (the last one, after its own lookups). */
function request(calls: Call[], type: number): string {
  const sent = calls.filter((c) => c.call === "sendmsg" && c.bytes.readUInt16LE(4) === type);
  const last = sent[sent.length - 1];
  if (last === undefined) throw new Error(`no request of type ${type}`);
  return zeroSeq(last.bytes);
}

function reply(calls: Call[], type: number): string {
  const got = calls.filter((c) => c.call === "recvmsg" && c.bytes.readUInt16LE(4) === type);
  const last = got[got.length - 1];
  if (last === undefined) throw new Error(`no reply of type ${type}`);
  return last.bytes.toString("hex");
}

const RTM = { newLink: 16, delLink: 17, getLink: 18, newAddr: 20, getAddr: 22, newRoute: 24, getRoute: 26, error: 2 };

try {
  must(["ip", "netns", "add", ns]);
  must(["ip", "netns", "add", pod]);
  const veth = "ptl0123456789ab";
  const requests: Record<string, string> = {};
  const replies: Record<string, string> = {};
  const create = traced(ns, ["link", "add", "name", veth, "mtu", "1450", "address", "ee:ee:ee:ee:ee:ee", "up", "type", "veth",
    "peer", "name", "eth0", "mtu", "1450", "address", "0e:01:02:03:04:05", "netns", `/var/run/netns/${pod}`]);
  requests["createVeth"] = request(create, RTM.newLink);
  // IFLA_NET_NS_FD carries whatever descriptor iproute2 opened for the netns: the test needs it.
  const fdAttr = Buffer.from(requests["createVeth"], "hex").indexOf(Buffer.from("08001c00", "hex"));
  const netnsFd = Buffer.from(requests["createVeth"], "hex").readUInt32LE(fdAttr + 4);
  replies["ack"] = reply(create, RTM.error);
  // The namespace fd iproute2 passed (IFLA_NET_NS_FD) is whatever it opened: recorded for the test.
  const exists = traced(ns, ["link", "add", "name", veth, "type", "veth", "peer", "name", "eth1"], true);
  replies["errorExists"] = reply(exists, RTM.error);
  const lookup = traced(ns, ["link", "show", "dev", veth]);
  replies["hostLink"] = reply(lookup, RTM.newLink);
  requests["hostGatewayV6"] = request(traced(ns, ["-6", "addr", "add", "fe80::ecee:eeff:feee:eeee/64", "dev", veth, "scope", "link", "nodad"]), RTM.newAddr);
  requests["hostRouteV4"] = request(traced(ns, ["route", "replace", "198.18.0.7/32", "dev", veth, "scope", "link", "proto", "89"]), RTM.newRoute);
  requests["hostRouteV6"] = request(traced(ns, ["route", "replace", "2001:db8::7/128", "dev", veth, "scope", "link", "proto", "89"]), RTM.newRoute);
  const fib = traced(ns, ["route", "get", "fibmatch", "198.18.0.7"]);
  requests["getRouteV4"] = request(fib, RTM.getRoute);
  replies["hostRouteV4"] = reply(fib, RTM.newRoute);
  requests["podAddressV4"] = request(traced(pod, ["addr", "add", "198.18.0.7/32", "dev", "eth0"]), RTM.newAddr);
  requests["podAddressV6"] = request(traced(pod, ["addr", "add", "2001:db8::7/128", "dev", "eth0", "nodad"]), RTM.newAddr);
  const podLink = traced(pod, ["link", "set", "dev", "eth0", "up"]);
  requests["podLinkUp"] = request(podLink, RTM.newLink);
  requests["getLink"] = request(podLink, RTM.getLink); // the lookup of eth0 before the change
  replies["podLink"] = reply(podLink, RTM.newLink);
  requests["podGatewayRouteV4"] = request(traced(pod, ["route", "add", "169.254.1.1/32", "dev", "eth0", "scope", "link"]), RTM.newRoute);
  requests["podDefaultRouteV4"] = request(traced(pod, ["route", "add", "default", "via", "169.254.1.1", "dev", "eth0"]), RTM.newRoute);
  requests["podDefaultRouteV6"] = request(traced(pod, ["route", "add", "default", "via", "fe80::ecee:eeff:feee:eeee", "dev", "eth0"]), RTM.newRoute);
  // An error the kernel explains (extended ack): "Nexthop has invalid gateway".
  const unreachable = traced(pod, ["route", "add", "198.51.100.0/24", "via", "203.0.113.1", "dev", "eth0"], true);
  replies["errorWithMessage"] = reply(unreachable, RTM.error);
  const addrs = traced(pod, ["addr", "show"]);
  replies["podAddressDump"] = addrs.filter((c) => c.call === "recvmsg" && c.bytes.readUInt16LE(4) === RTM.newAddr).map((c) => c.bytes.toString("hex")).join("");
  const routes = traced(pod, ["-6", "route", "show"]);
  replies["podRouteDumpV6"] = routes.filter((c) => c.call === "recvmsg" && c.bytes.readUInt16LE(4) === RTM.newRoute).map((c) => c.bytes.toString("hex")).join("");
  // DEL's retirement of the pair, and the batch that destroys retired pairs.
  requests["hostDown"] = request(traced(ns, ["link", "set", "dev", veth, "down"]), RTM.newLink);
  requests["hostRetire"] = request(traced(ns, ["link", "set", "dev", veth, "name", "ptx0123456789ab", "group", "89"]), RTM.newLink);
  requests["deleteGroup"] = request(traced(ns, ["link", "del", "group", "89"]), RTM.delLink);
  const out = join(repoRoot, "cni-plugin", "netlink", "testdata", "iproute2.json");
  writeFileSync(out, `${JSON.stringify({ iproute2: must(["ip", "-V"]).trim(), kernel: must(["uname", "-r"]).trim(), netnsFd, requests, replies }, null, 1)}\n`);
  console.log(`wrote ${out}`);
} finally {
  run(["ip", "netns", "del", ns]);
  run(["ip", "netns", "del", pod]);
}
