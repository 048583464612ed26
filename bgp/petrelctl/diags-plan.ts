/**
 * What `petrelctl diags` collects from each node, as one shell script run in the node's Petrel
 * pod (agent container: the host's network, the state directory mounted, ip and nft in the
 * image), and how its output splits back into files. One exec per node rather than one per
 * command: each exec is a round trip through the API server and the kubelet. Pure.
 */

export interface NodeSection {
  /** File name under nodes/<node>/ in the archive. */
  readonly file: string;
  /** Shell command; $S is the state directory. Its stdout and stderr go to the file. */
  readonly command: string;
}

export const NODE_SECTIONS: readonly NodeSection[] = [
  { file: "versions.txt", command: "petrel-agent --version; /opt/petrel/cni/petrel --version; petrelctl --version; gobgpd --version; ip -V; nft --version; uname -a" },
  { file: "routes.txt", command: "ip -d -4 route show table all; echo; ip -d -6 route show table all" },
  { file: "petrel-routes.txt", command: "echo '# agent routes (proto 88) and pod routes (proto 89)'; ip -4 route show proto 88; ip -4 route show proto 89; ip -6 route show proto 88; ip -6 route show proto 89" },
  { file: "rules.txt", command: "ip -4 rule; ip -6 rule" },
  { file: "addresses.txt", command: "ip -d address" },
  { file: "links.txt", command: "ip -d -s link" },
  { file: "neighbours.txt", command: "ip neigh show proxy; ip neigh" },
  { file: "nft-ruleset.txt", command: "nft list ruleset" },
  { file: "sysctls.txt", command: "for f in net/ipv4/ip_forward net/ipv6/conf/all/forwarding net/ipv4/conf/all/rp_filter net/ipv4/conf/default/rp_filter; do echo \"$f = $(cat /proc/sys/$f)\"; done" },
  { file: "state/blocks.json", command: "cat \"$S/blocks.json\"" },
  { file: "state/allocations.txt", command: "ls -l --time-style=full-iso \"$S/allocations\"" },
  { file: "state/cni-installed.json", command: "cat \"$S/cni-installed.json\"" },
  { file: "cni-plugin.log", command: "tail -n 5000 \"$S/cni.log.1\" 2>/dev/null; tail -n 5000 \"$S/cni.log\"" },
];

const MARK = "@@petrel-diags";

/** Single quotes for sh: the state directory comes from the pod spec. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The script for `sh -c`; `nonce` keeps the markers apart from anything a command prints. */
export function nodeScript(stateDir: string, nonce: string, sections: readonly NodeSection[] = NODE_SECTIONS): string {
  const lines = [`S=${shellQuote(stateDir)}`];
  for (const s of sections) {
    // The end marker starts with a newline of its own, so output without a final newline cannot
    // swallow it; the parser drops that one extra line.
    lines.push(`echo '${MARK}-${nonce} ${s.file}'`, `( ${s.command} ) 2>&1`, `printf '\\n%s %s\\n' '${MARK}-${nonce}-exit' "$?"`);
  }
  return lines.join("\n");
}

export interface SectionOutput {
  readonly file: string;
  readonly text: string;
  readonly exitStatus: number | undefined;
}

/** Splits the script's output back into one text per section. */
export function splitNodeOutput(output: string, nonce: string): SectionOutput[] {
  const out: SectionOutput[] = [];
  let current: { file: string; lines: string[] } | undefined;
  const start = `${MARK}-${nonce} `;
  const end = `${MARK}-${nonce}-exit `;
  for (const line of output.split("\n")) {
    if (line.startsWith(start)) {
      current = { file: line.slice(start.length), lines: [] };
    } else if (line.startsWith(end) && current !== undefined) {
      if (current.lines.at(-1) === "") current.lines.pop();
      const status = Number(line.slice(end.length));
      out.push({ file: current.file, text: current.lines.join("\n") + (current.lines.length > 0 ? "\n" : ""), exitStatus: Number.isInteger(status) ? status : undefined });
      current = undefined;
    } else if (current !== undefined) {
      current.lines.push(line);
    }
  }
  // A section cut off (the exec died mid-way) keeps what came.
  if (current !== undefined) out.push({ file: current.file, text: current.lines.join("\n"), exitStatus: undefined });
  return out;
}

/** A name fit for one path segment in the archive. */
export function safeSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100) || "_";
}

/** petrel-diags-20261201T213000Z: the archive's name and its top directory. */
export function archiveBase(now: Date): string {
  return `petrel-diags-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z")}`;
}

export const README = `Petrel diagnostics, written by petrelctl diags.

  versions.txt              petrelctl and the API server; the image of every Petrel pod
  cluster/*.yaml            IPPools, IPAMBlocks, PetrelNodes, BGPConfigurations, BGPPeers, Nodes,
                            Petrel's pods, and the Events of their namespaces, as the API returns them
  reports/*.txt             petrelctl node status, ipam show and ipam check, run against those objects
  logs/NS_POD_CONTAINER.log the last lines of each Petrel container's log (.previous.log: before its last restart)
  nodes/NODE/               run in the node's Petrel pod (agent container) through kubectl exec:
                            versions, routes (all tables), rules, addresses, links, neighbours,
                            the nft ruleset, forwarding sysctls, the state directory (blocks.json,
                            allocation records, installed CNI files) and the CNI plugin's log
  errors.txt                what could not be collected, and why

Secrets are never read. Pod and node names, addresses and routes are in it: review before sharing.
`;
