// BIRD 2 as the "top-of-rack router" of a routed test cluster: runs in its own netns, peers over
// eBGP with each node, accepts only prefixes inside the pod range and announces nothing back.
// Queried with birdc over its control socket (a file, reachable from the host namespace).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { logTail, startProcess, type Started } from "../rig/start-process.ts";
import { run } from "../rig/run-process.ts";

export interface TorNeighbor {
  readonly name: string;
  readonly address: string;
  readonly asn: number;
}

export interface BirdTor {
  readonly socket: string;
  readonly proc: Started;
  readonly logPath: string;
}

export function birdConfig(routerId: string, asn: number, neighbors: readonly TorNeighbor[], acceptRange: string): string {
  const lines = [
    `router id ${routerId};`,
    "protocol device { scan time 10; }",
    // Learned routes stay in BIRD's table; the ToR namespace's kernel is not programmed.
    `filter pods { if net ~ [ ${acceptRange}+ ] then accept; reject; }`,
  ];
  for (const n of neighbors) {
    lines.push(
      `protocol bgp ${n.name.replace(/[^A-Za-z0-9_]/g, "_")} {`,
      `  local as ${asn};`,
      `  neighbor ${n.address} as ${n.asn};`,
      "  hold time 9; keepalive time 3; connect retry time 2;",
      "  ipv4 { import filter pods; export none; };",
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function startBirdTor(netns: string, dir: string, routerId: string, asn: number, neighbors: readonly TorNeighbor[], acceptRange: string): Promise<BirdTor> {
  const conf = join(dir, "bird.conf");
  const socket = join(dir, "bird.ctl");
  const logPath = join(dir, "bird.log");
  writeFileSync(conf, birdConfig(routerId, asn, neighbors, acceptRange));
  const proc = startProcess("bird-tor", "ip", ["netns", "exec", netns, "bird", "-f", "-c", conf, "-s", socket, "-P", join(dir, "bird.pid")], logPath);
  for (let i = 0; i < 100; i++) {
    if (run(["birdc", "-s", socket, "show", "status"]).status === 0) return { socket, proc, logPath };
    if (proc.exitInfo() !== undefined) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`BIRD did not start (${proc.exitInfo() ?? "no control socket"}):\n${await logTail(logPath)}`);
}

/** Prefixes in BIRD's table with their next hops, from `birdc show route`. */
export function birdRoutes(tor: BirdTor): Map<string, string[]> {
  const r = run(["birdc", "-s", tor.socket, "show", "route", "all"]);
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of r.stdout.split("\n")) {
    const m = /^(\d+\.\d+\.\d+\.\d+\/\d+)\s/.exec(line);
    if (m !== null) current = m[1];
    const via = /via (\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (current !== undefined && via !== null && via[1] !== undefined) out.set(current, [...(out.get(current) ?? []), via[1]]);
  }
  return out;
}

/** BGP protocol states, name → "Established" / "Active" / …, from `birdc show protocols`. */
export function birdSessions(tor: BirdTor): Map<string, string> {
  const r = run(["birdc", "-s", tor.socket, "show", "protocols"]);
  const out = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === "BGP" && cols[0] !== undefined) out.set(cols[0], cols[cols.length - 1] ?? "");
  }
  return out;
}
