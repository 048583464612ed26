import { closeSync, statSync } from "node:fs";
import { errorMessage } from "../../common/errors.ts";
import { retiredStampName } from "../../common/pod-veth.ts";
import { CniCode, CniError } from "../cni-error.ts";
import { Errno } from "../netlink/errno.ts";
import { deleteLinkRequest, type Link } from "../netlink/link.ts";
import { NetlinkError } from "../netlink/netlink-error.ts";
import { createPair, hostRequests, podRequests, retirePodEndRequests } from "../netlink/wiring-requests.ts";
import { hostSysctls, hostVethMac, nodeForwardingSysctls, retiredVethGroup, type PodWiring } from "../pod-wiring.ts";
import type { PodDataplane } from "../ports.ts";
import { getLink } from "./get-link.ts";
import { inspectPod } from "./kernel-inspect.ts";
import type { RtnlSocket } from "./netlink-socket.ts";
import { homeSocket, netnsInode, openNetns, socketAt, socketInNetns } from "./netns.ts";
import { retire, retiredPairs } from "./retired-pairs.ts";
import { readSysctl, writeSysctl } from "./sysctl.ts";

/**
 * The kernel data plane over rtnetlink, with no external program: one NETLINK_ROUTE socket in
 * the plugin's own namespace for the host side, and one created in the pod's namespace
 * (`host/netns.ts`) for the pod side. The veth pair is made in one request with its pod end
 * placed by IFLA_NET_NS_FD. Measured costs are in docs/benchmarks.md.
 */
function dataplaneError(context: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  return new CniError(CniCode.dataplaneFailure, `${context}: ${errorMessage(err)}`, {
    details: "the kernel refused the change; the plugin undid what it had done",
    cause: err,
  });
}

/**
 * A leftover of this very attachment (an ADD killed half-way): a veth with Petrel's MAC whose
 * other end is this pod's interface, with the MAC ADD gives it, and the two are each other's peers.
 */
function isOwnLeftover(hostLink: Link, podLink: Link | undefined, w: PodWiring): boolean {
  return hostLink.kind === "veth" && hostLink.mac === hostVethMac && podLink !== undefined && podLink.mac === w.containerMac &&
    hostLink.peerNetnsId !== undefined && hostLink.peerIndex === podLink.index && podLink.peerIndex === hostLink.index;
}

function createPairOnce(host: RtnlSocket, pod: RtnlSocket, w: PodWiring, podNetns: number): void {
  const create = createPair(w, podNetns);
  try {
    host.ack(create.build, create.what);
    return;
  } catch (err) {
    if (!(err instanceof NetlinkError) || err.errno !== Errno.EEXIST) throw err;
  }
  const hostLink = getLink(host, w.hostVeth, "");
  const podLink = getLink(pod, w.ifname, ` in ${w.netns}`);
  if (hostLink === undefined) {
    // The pod's end of a pair an earlier DEL (or GC) retired without renaming it: rename it now.
    const peer = podLink?.peerIndex === undefined ? undefined : getLink(host, podLink.peerIndex, "");
    if (podLink !== undefined && peer !== undefined && peer.group === retiredVethGroup && peer.kind === "veth" && peer.peerIndex === podLink.index) {
      for (const r of retirePodEndRequests(w.ifname, podLink.index, peer.name, w.netns)) pod.ack(r.build, r.what);
      host.ack(create.build, create.what);
      return;
    }
    throw new NetlinkError(`interface ${w.ifname} in ${w.netns}`, Errno.EEXIST, "the pod's namespace already has an interface of that name");
  }
  if (!isOwnLeftover(hostLink, podLink, w)) {
    throw new NetlinkError(create.what, Errno.EEXIST, "an interface of that name exists and is not this pod's veth; it was left alone");
  }
  host.ack((seq) => deleteLinkRequest(seq, w.hostVeth), `veth ${w.hostVeth} (left by an earlier ADD of this pod)`);
  host.ack(create.build, create.what);
}

/**
 * Turns node-wide forwarding on when it is off (pod-wiring.ts, nodeForwardingSysctls). Reads
 * first: a read costs a few microseconds, and writing `ip_forward` when it changes touches every
 * interface. A node where it cannot be turned on cannot carry pod traffic, so ADD fails.
 */
function ensureNodeForwarding(w: PodWiring): void {
  for (const [path, value] of nodeForwardingSysctls(w)) {
    if (readSysctl(path) === value) continue;
    try {
      writeSysctl(path, value);
    } catch (err) {
      const name = path.replace("/proc/sys/", "").replaceAll("/", ".");
      throw new CniError(CniCode.dataplaneFailure, `cannot turn on forwarding (${name}=${value}): ${errorMessage(err)}`, {
        details: `pods on this node are unreachable from other nodes and from host ports without it; set it on the node (sysctl -w ${name}=${value}, and in /etc/sysctl.d/ to keep it)`,
        cause: err,
      });
    }
  }
}

function wirePod(host: RtnlSocket, w: PodWiring): void {
  let podNetns: number;
  try {
    podNetns = openNetns(w.netns);
  } catch (err) {
    throw new CniError(CniCode.dataplaneFailure, `netns ${w.netns} disappeared before the wiring: ${errorMessage(err)}`, {
      details: "the runtime deleted the pod's network namespace during ADD; nothing was wired",
      cause: err,
    });
  }
  let pod: RtnlSocket | undefined;
  let created: number | string | undefined;
  try {
    const identity = netnsInode(podNetns);
    pod = socketInNetns(podNetns);
    createPairOnce(host, pod, w, podNetns);
    created = w.hostVeth;
    const hostLink = getLink(host, w.hostVeth, "");
    if (hostLink === undefined) throw new NetlinkError(`veth ${w.hostVeth}`, Errno.ENODEV, "gone right after it was created");
    created = hostLink.index;
    for (const [path, value] of hostSysctls(w)) {
      try {
        writeSysctl(path, value);
      } catch (err) {
        throw new CniError(CniCode.dataplaneFailure, `cannot set ${path} to ${value}: ${errorMessage(err)}`, { cause: err });
      }
    }
    for (const r of hostRequests(w, hostLink.index)) host.ack(r.build, r.what);
    const podLink = getLink(pod, w.ifname, ` in ${w.netns}`);
    if (podLink === undefined) throw new NetlinkError(`interface ${w.ifname} in ${w.netns}`, Errno.ENODEV, "gone right after it was created");
    for (const r of podRequests(w, podLink.index)) pod.ack(r.build, r.what);
    ensureNodeForwarding(w);
    // Our descriptor kept the namespace alive; the runtime may still have deleted it meanwhile.
    if (pathInode(w.netns) !== identity) {
      throw new CniError(CniCode.dataplaneFailure, `netns ${w.netns} was deleted while ADD wired it`, {
        details: "the runtime deleted the pod's network namespace during ADD; the plugin undid the wiring",
      });
    }
  } catch (err) {
    // Undo at once what this ADD made (a failed ADD is rare, and its caller retries): the pair,
    // and with it the pod end, its addresses and every route through either end.
    if (created !== undefined) {
      try {
        const made = created;
        host.ack((seq) => deleteLinkRequest(seq, made), `veth ${w.hostVeth}`);
      } catch {
        /* the caller's rollback (unwire) tries again */
      }
    }
    throw err;
  } finally {
    pod?.close();
    closeSync(podNetns);
  }
}

function pathInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function nsDevice(path: string): number | undefined {
  try {
    return statSync(path).dev;
  } catch {
    return undefined;
  }
}

export function kernelDataplane(stateDir: string): PodDataplane {
  let hostSocket: RtnlSocket | undefined;
  // Opened before any namespace switch, so it is bound to the plugin's own namespace.
  const host = (): RtnlSocket => (hostSocket ??= homeSocket());
  const retired = retiredPairs(`${stateDir}/${retiredStampName}`);
  return {
    isNetns(path) {
      const dev = nsDevice(path);
      return dev !== undefined && dev === nsDevice("/proc/self/ns/net");
    },

    wire(w) {
      try {
        wirePod(host(), w);
      } catch (err) {
        throw dataplaneError(`cannot wire ${w.ifname} in ${w.netns}`, err);
      }
    },

    unwire(hostVeth, pod) {
      try {
        retire(host(), hostVeth, retired, pod === undefined ? undefined : { ...pod, open: socketAt });
      } catch (err) {
        throw dataplaneError(`cannot remove veth ${hostVeth}`, err);
      }
    },

    inspect(w) {
      try {
        return inspectPod(host(), w);
      } catch (err) {
        throw dataplaneError(`cannot inspect ${w.ifname} in ${w.netns}`, err);
      }
    },
  };
}
