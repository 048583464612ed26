// What the routed tests check around the agent: lost pings during a disruption (a restart, an
// upgrade), the routes Petrel must never touch, and an agent's metrics.
import { spawn } from "node:child_process";
import { must } from "../rig/run-process.ts";
import { sumSamples } from "./prom-text.ts";

export interface Loss {
  readonly sent: number;
  readonly lost: number;
}

export function formatLoss(what: string, l: Loss): string {
  return `${what}: ${l.sent} sent, ${l.lost} lost (${l.sent === 0 ? "-" : ((100 * l.lost) / l.sent).toFixed(1)} %)`;
}

/**
 * Pings `toIp` from inside `netns` every `intervalS` while `during` runs (argv runs in the netns:
 * `ip netns exec`, or a custom prefix such as `ctr tasks exec`); returns what ping counted.
 */
export async function pingDuring(netns: string, toIp: string, during: () => Promise<void>, intervalS = 0.1): Promise<Loss> {
  return pingWith(["ip", "netns", "exec", netns, "ping", "-i", String(intervalS), "-W", "1", toIp], during);
}

export async function pingWith(argv: readonly string[], during: () => Promise<void>): Promise<Loss> {
  const [file, ...args] = argv;
  const child = spawn(file ?? "ping", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  try {
    await during();
  } finally {
    child.kill("SIGINT");
    await closed;
  }
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (m === null) throw new Error(`no ping summary: ${out.slice(-300)}`);
  return { sent: Number(m[1]), lost: Number(m[1]) - Number(m[2]) };
}

/** The node's routes that are not Petrel's agent routes (proto 88): pods' /32s, connected, default. */
export function foreignRoutes(netns: string): string[] {
  const out: string[] = [];
  for (const family of ["-4", "-6"]) {
    const routes = JSON.parse(must(["ip", "-n", netns, "-j", family, "route", "show", "table", "main"]) || "[]") as { dst: string; gateway?: string; dev?: string; protocol?: string; type?: string }[];
    for (const r of routes) if (r.protocol !== "88") out.push(JSON.stringify(r));
  }
  return out.sort();
}

/** The pods' host routes (proto 89) as `dst dev` lines. */
export function podRoutes(netns: string): string[] {
  const routes = JSON.parse(must(["ip", "-n", netns, "-j", "route", "show", "proto", "89"]) || "[]") as { dst: string; dev: string }[];
  return routes.map((r) => `${r.dst} dev ${r.dev}`).sort();
}

/** A metric of a program's /metrics endpoint on 127.0.0.1 (NaN when it does not answer). */
export async function metric(port: number, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    return sumSamples(text, name, labels);
  } catch {
    return Number.NaN;
  }
}
