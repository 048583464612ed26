// Helpers for test/bench/cni-bench.ts: running a CNI plugin with timing (on test/rig/run-process.ts)
// and the end-of-run leak check (the bench's namespaces are a NetnsSet, test/rig/netns.ts).
// Everything is addressed by the names this process made (pid in the name), never by a broad pattern.
import { existsSync, readdirSync } from "node:fs";
import { isIP } from "node:net";
import { pluginPath } from "../rig/no-ip-path.ts";
import { run, runProcess, RunningChildren } from "../rig/run-process.ts";

export interface Timed {
  ms: number;
  peakRssKiB?: number | undefined;
  status: number;
  stdout: string;
  stderr: string;
}

/** Children still running, so a signal handler can end exactly these (by pid). */
export const running = new RunningChildren();

/** Where GNU time lives (Debian package `time`): it reports a child's peak RSS. */
export const gnuTime = "/usr/bin/time";

/**
 * Runs one plugin invocation; `ms` is the wall-clock from spawn to exit. PATH has traps for ip
 * and nsenter (test/rig/no-ip-path.ts): neither plugin may need them. With `measureRss`
 * the plugin runs under GNU time, and `peakRssKiB` is its peak resident set (for a plugin that
 * runs another, such as ptp running host-local, the larger of the two).
 */
export async function runPlugin(binary: string, env: Record<string, string>, stdin: string, measureRss = false): Promise<Timed> {
  const t0 = process.hrtime.bigint();
  const [file, args] = measureRss ? [gnuTime, ["-f", "peak-rss-kib %M", binary]] : [binary, []];
  const r = await runProcess(file, args, { input: stdin, env: { PATH: pluginPath(), ...env }, children: running });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = /peak-rss-kib (\d+)\s*$/.exec(r.stderr);
  const stderr = rss === null ? r.stderr : r.stderr.slice(0, rss.index);
  return { ms, status: r.status, stdout: r.stdout, stderr, peakRssKiB: rss === null ? undefined : Number(rss[1]) };
}

/** Names of the host's links (host network namespace). */
export function hostLinks(): Set<string> {
  const r = run(["ip", "-j", "link", "show"]);
  const links = r.status === 0 ? (JSON.parse(r.stdout || "[]") as Array<{ ifname: string }>) : [];
  return new Set(links.map((l) => l.ifname));
}

/** Host routes inside `cidr` (both plugins install /32s to their pods). */
export function hostRoutesIn(cidr: string): string[] {
  const r = run(["ip", "-j", "route", "show", "root", cidr]);
  const routes = r.status === 0 ? (JSON.parse(r.stdout || "[]") as Array<{ dst: string; dev?: string }>) : [];
  return routes.map((x) => `${x.dst} dev ${x.dev ?? "?"}`);
}

/** Petrel: one symlink per address in `<stateDir>/allocations`; dot files are hints and locks. */
export function petrelLeftovers(stateDir: string): string[] {
  const dir = `${stateDir}/allocations`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => !n.startsWith(".") || n.startsWith(".lock") || n.startsWith(".tmp-"));
}

/** host-local: one file per address (named by the IP) in `<dataDir>/<network>/`. */
export function hostLocalLeftovers(dataDir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dataDir)) return out;
  for (const net of readdirSync(dataDir)) {
    for (const n of readdirSync(`${dataDir}/${net}`)) if (isIP(n) !== 0) out.push(`${net}/${n}`);
  }
  return out;
}
