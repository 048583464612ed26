import { statSync, unlinkSync, writeFileSync } from "node:fs";
import { Errno } from "../netlink/errno.ts";
import { deleteGroupRequest, deleteLinkRequest, type Link } from "../netlink/link.ts";
import { NetlinkError } from "../netlink/netlink-error.ts";
import { retirePodEndRequests, retireRequests, type Request } from "../netlink/wiring-requests.ts";
import { retiredPairsDue } from "../../common/pod-veth.ts";
import { hostVethMac, retiredVethGroup } from "../pod-wiring.ts";
import { getLink } from "./get-link.ts";
import type { RtnlSocket } from "./netlink-socket.ts";
import { retiredVethName } from "../veth-name.ts";

export interface RetiredPairs {
  /** Destroys every retired pair when the oldest is due; returns how many ms that took, or undefined. */
  reapIfDue(host: RtnlSocket): number | undefined;
  /** Records that a pair was retired now (unless an older one is still waiting). */
  noteRetired(): void;
}

/**
 * Retired pairs (docs/cni-plugin.md, "DEL") wait in link group 89 until the runtime deletes the
 * pod's netns (which destroys the pair) or until a DEL finds the oldest of them older than
 * retiredVethReapAfterMs (common/pod-veth.ts) and destroys them all with one request. `stamp`'s mtime is when the
 * oldest unreaped pair was retired; it is a hint, never fsynced: after a reboot nothing is left.
 */
export function retiredPairs(stamp: string): RetiredPairs {
  return {
    reapIfDue(host: RtnlSocket): number | undefined {
      let since: number;
      try {
        since = statSync(stamp).mtimeMs;
      } catch {
        return undefined; // nothing retired since the last reap
      }
      // A clock that stepped back makes the stamp look new for ever: then it is due (reaping early is harmless).
      if (!retiredPairsDue(since, Date.now())) return undefined;
      try {
        unlinkSync(stamp);
      } catch {
        return undefined; // another DEL is reaping
      }
      const t0 = performance.now();
      try {
        host.ack((seq) => deleteGroupRequest(seq, retiredVethGroup), `retired pairs (link group ${retiredVethGroup})`);
      } catch {
        // ENODEV: their netns went away and took them along. Anything else: the next due DEL retries.
      }
      return performance.now() - t0;
    },
    noteRetired(): void {
      try {
        writeFileSync(stamp, "", { flag: "wx" }); // keeps the older stamp when there is one
      } catch {
        /* exists already, or no state dir: the pair then waits for its netns to go */
      }
    },
  };
}

/**
 * Where the pod end is, when the caller knows (DEL does; GC and a failed ADD do not), and how to
 * reach it: `open` returns a socket made in that netns (host/netns.ts, socketAt), or undefined
 * when the netns is gone (and the pod end with it). Passed in so this module needs no bun:ffi and
 * its unit tests run under Node.
 */
export interface PodEnd {
  netns: string;
  ifname: string;
  open(netns: string): RtnlSocket | undefined;
}

/** The pod end down and renamed like the host end, through a socket made in the pod's netns. */
function retirePodEnd(hostLink: Link, pod: PodEnd): void {
  const s = pod.open(pod.netns);
  if (s === undefined) return;
  try {
    const podLink = getLink(s, pod.ifname, ` in ${pod.netns}`);
    if (podLink === undefined || podLink.peerIndex !== hostLink.index) return; // not this pair's end
    for (const r of retirePodEndRequests(pod.ifname, podLink.index, retiredVethName(hostLink.name), pod.netns)) s.ack(r.build, r.what);
  } finally {
    s.close();
  }
}

/**
 * DEL's half of the data plane: take the pair out of service at once and leave its destruction
 * (about 20 ms of RCU grace period in the kernel) to a later batch (docs/cni-plugin.md, "DEL").
 * A device of that name that is not a Petrel veth is left alone. If retiring fails, the pair is
 * destroyed right away.
 */
export function retire(host: RtnlSocket, hostVeth: string, retired: RetiredPairs, pod?: PodEnd): void {
  retired.reapIfDue(host);
  const link = getLink(host, hostVeth, "");
  if (link === undefined || link.kind !== "veth" || link.mac !== hostVethMac) return;
  try {
    const [down, rename] = retireRequests(hostVeth, link.index) as [Request, Request];
    host.ack(down.build, down.what);
    if (pod !== undefined) retirePodEnd(link, pod);
    host.ack(rename.build, rename.what);
    retired.noteRetired();
  } catch {
    // e.g. an earlier retired pair of the same attachment still holds the retired name.
    try {
      host.ack((seq) => deleteLinkRequest(seq, hostVeth), `veth ${hostVeth}`);
    } catch (err) {
      if (!(err instanceof NetlinkError && err.errno === Errno.ENODEV)) throw err;
    }
  }
}
