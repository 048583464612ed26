// Run with Bun by test/cni/netns-switch.test.ts, as root, inside a test node's netns: switches
// into the pod netns given as argv[2] through host/netns.ts and reports, as one JSON line, where
// the thread and the sockets were at each step.
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { decodeLink, dumpLinksRequest } from "../../netlink/link.ts";
import { SyscallError } from "../libc.ts";
import { homeSocket, inNetns, socketInNetns } from "../netns.ts";
import type { RtnlSocket } from "../netlink-socket.ts";

const podPath = process.argv[2];
if (podPath === undefined) throw new Error("usage: netns-probe.ts POD_NETNS_PATH");
const here = (): number => statSync("/proc/thread-self/ns/net").ino;
const links = (s: RtnlSocket): string[] => s.dump((seq) => dumpLinksRequest(seq), "links").map((m) => decodeLink(m.payload).name).sort();

const out: Record<string, unknown> = { home: here(), pod: statSync(podPath).ino };
const host = homeSocket();
const fd = openSync(podPath, "r");
out["insideSeesPod"] = inNetns(fd, () => here());
out["afterSwitch"] = here();
try {
  inNetns(fd, () => {
    throw new Error("failure inside");
  });
} catch (err) {
  out["thrownInside"] = (err as Error).message;
}
out["afterThrow"] = here();
const pod = socketInNetns(fd);
out["podSocketLinks"] = links(pod);
out["hostSocketLinks"] = links(host);
out["afterSocket"] = here();
const notNetns = openSync("/proc/self/cmdline", "r");
try {
  inNetns(notNetns, () => "entered");
} catch (err) {
  out["badFd"] = err instanceof SyscallError ? err.message : String(err);
}
out["afterBadFd"] = here();
closeSync(notNetns);
closeSync(fd);
pod.close();
writeSync(1, `${JSON.stringify(out)}\n`);
