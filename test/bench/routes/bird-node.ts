// BIRD 2 as the reference node of bench:routes part 2: what Calico runs. In its own netns on the
// underlay, it peers with the route source and programs its namespace's kernel with what it
// accepts (protocol kernel, export all), as a Calico node's BIRD does. Its filter accepts exactly
// the blocks' prefix length inside the benchmark's pool (BIRD cannot read IPAMBlocks; the Petrel
// node checks each route against the real IPAMBlocks). Started and stopped by its own pid.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { logTail, startProcess, type Started } from "../../rig/start-process.ts";
import { run } from "../../rig/run-process.ts";

export interface BirdNode {
  readonly netns: string;
  readonly address: string;
  readonly socket: string;
  readonly proc: Started;
}

export function birdNodeConfig(routerId: string, asn: number, source: { address: string; asn: number }, acceptFilter: string): string {
  return [
    `router id ${routerId};`,
    "protocol device { scan time 60; }",
    // The kernel table of the namespace: every route BIRD accepts goes in (proto bird).
    "protocol kernel { scan time 60; ipv4 { export all; import none; }; }",
    `filter blocks { if net ~ [ ${acceptFilter} ] then accept; reject; }`,
    "protocol bgp route_source {", // not `source`: a keyword in BIRD 2 (the route attribute)
    `  local as ${asn};`,
    `  neighbor ${source.address} as ${source.asn};`,
    "  hold time 9; keepalive time 3; connect retry time 2;",
    "  ipv4 { import filter blocks; export none; };",
    "}",
    "",
  ].join("\n");
}

export async function startBirdNode(netns: string, dir: string, address: string, asn: number, source: { address: string; asn: number }, acceptFilter: string): Promise<BirdNode> {
  const conf = join(dir, "bird-node.conf");
  const socket = join(dir, "bird-node.ctl");
  const logPath = join(dir, "bird-node.log");
  writeFileSync(conf, birdNodeConfig(address, asn, source, acceptFilter));
  // `ip netns exec` execs bird: the pid is BIRD's own (for its CPU and memory).
  const proc = startProcess("bird-node", "ip", ["netns", "exec", netns, "bird", "-f", "-c", conf, "-s", socket, "-P", join(dir, "bird-node.pid")], logPath);
  for (let i = 0; i < 100; i++) {
    if (run(["birdc", "-s", socket, "show", "status"]).status === 0) return { netns, address, socket, proc };
    if (proc.exitInfo() !== undefined) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`BIRD node did not start (${proc.exitInfo() ?? "no control socket"}):\n${await logTail(logPath)}`);
}

/** BIRD's state of its one BGP session ("Established", "Active", …). */
export function birdSessionState(b: BirdNode): string {
  const r = run(["birdc", "-s", b.socket, "show", "protocols", "route_source"]);
  const line = r.stdout.split("\n").find((l) => l.startsWith("route_source"));
  return line?.trim().split(/\s+/).at(-1) ?? "";
}
