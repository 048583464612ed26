/**
 * A "client machine" for host-port tests: its own network namespace joined to the host (the
 * node) by a veth, with a /30 from an underlay test range. Connecting from here to the node's
 * end of the link goes through PREROUTING on the node, like traffic from another machine would,
 * which is the path portmap's DNAT rules are for.
 */
import { existsSync } from "node:fs";
import { type NetnsSet } from "../rig/netns.ts";
import { must, run, type ProcessResult } from "../rig/run-process.ts";

export interface HostPortClient {
  netns: string;
  /** The node's address on the client link: the address to dial for host ports. */
  nodeAddress: string;
  clientAddress: string;
  hostLink: string;
  /** HTTP GET http://nodeAddress:port/ from the client namespace (curl, bounded time). */
  get(port: number, timeoutSeconds?: number): ProcessResult;
  remove(): void;
}

/**
 * `tag` (one letter) keeps the host link name and its /30 distinct between test files that run in
 * the same jest process (same pid); the /30 inside 198.51.100.0/24 is picked from pid and tag.
 */
export function makeHostPortClient(netnsSet: NetnsSet, tag: string): HostPortClient {
  if (!existsSync("/usr/bin/curl")) throw new Error("/usr/bin/curl is missing: install it with `apt-get install -y curl`");
  if (!/^[a-z]$/.test(tag)) throw new Error(`tag must be one lowercase letter, got "${tag}"`);
  const netns = netnsSet.create();
  const hostLink = `ptc${tag}${process.pid}`; // at most 3+1+7 = 11 characters
  // 198.51.100.0/24 only: the link and its /30 are in the root namespace, and this machine's
  // package registries sit at 203.0.113.80 (MACHINE-NOTES). The tag moves the /30 so that two
  // files of one jest process (one pid) never share it.
  const prefix24 = "198.51.100";
  const base = 4 * ((process.pid + tag.charCodeAt(0) * 7) % 64);
  const nodeAddress = `${prefix24}.${base + 1}`;
  const clientAddress = `${prefix24}.${base + 2}`;
  must(["ip", "link", "add", hostLink, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  must(["ip", "addr", "add", `${nodeAddress}/30`, "dev", hostLink]);
  must(["ip", "link", "set", hostLink, "up"]);
  must(["ip", "-n", netns, "addr", "add", `${clientAddress}/30`, "dev", "eth0"]);
  must(["ip", "-n", netns, "link", "set", "eth0", "up"]);
  // Traffic from the client to a host port is forwarded by the root namespace (DNAT to the pod):
  // a machine whose FORWARD policy is DROP (Docker sets it) would drop it. Accept this link's
  // traffic explicitly, first in the chain, and remove exactly these rules afterwards.
  const forwardRules = [["-i", hostLink, "-j", "ACCEPT"], ["-o", hostLink, "-j", "ACCEPT"]];
  for (const rule of forwardRules) must(["iptables", "-w", "-I", "FORWARD", "1", ...rule, "-m", "comment", "--comment", `petrel-test ${hostLink}`]);
  return {
    netns,
    nodeAddress,
    clientAddress,
    hostLink,
    get(port, timeoutSeconds = 3) {
      // --noproxy: an inherited http_proxy must never send test traffic elsewhere.
      return run(["ip", "netns", "exec", netns, "curl", "-sS", "--noproxy", "*", "-m", String(timeoutSeconds), `http://${nodeAddress}:${port}/`]);
    },
    remove() {
      for (const rule of forwardRules) run(["iptables", "-w", "-D", "FORWARD", ...rule, "-m", "comment", "--comment", `petrel-test ${hostLink}`]);
      run(["ip", "link", "del", hostLink]);
      netnsSet.remove(netns);
    },
  };
}

/** Retries `get` until it answers (a server started just now may not listen yet). */
export async function getWhenReady(client: HostPortClient, port: number, withinMs: number): Promise<ProcessResult> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const r = client.get(port, 2);
    if (r.status === 0 || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Lines of the node's NAT configuration that mention `text` (a container ID): the reference
 * portmap 1.1 writes iptables rules (here iptables-nft) with the ID in a comment; nft's view is
 * read too in case a newer portmap uses its nftables backend.
 */
export function natRulesMentioning(text: string): string[] {
  const iptables = must(["iptables-save", "-t", "nat"]);
  const nft = must(["nft", "list", "ruleset"]);
  return [...iptables.split("\n"), ...nft.split("\n")].filter((line) => line.includes(text));
}
