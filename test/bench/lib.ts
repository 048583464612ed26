// Helpers for test/bench/cni-bench.ts: running a CNI plugin with timing, this process's own
// network namespaces, statistics and the end-of-run leak check. Everything is addressed by
// the names this process made (pid in the name), never by a broad pattern.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { isIP } from "node:net";
import { pluginPath } from "../rig/no-ip-path.ts";
import { run, must } from "../rig/sh.ts";

export interface Timed {
  ms: number;
  peakRssKiB?: number | undefined;
  status: number;
  stdout: string;
  stderr: string;
}

/** Children still running, so a signal handler can end exactly these (by pid). */
export const running = new Set<ChildProcess>();

/** Where GNU time lives (Debian package `time`): it reports a child's peak RSS. */
export const gnuTime = "/usr/bin/time";

/**
 * Runs one plugin invocation; `ms` is the wall-clock from spawn to exit. PATH has traps for ip
 * and nsenter (test/rig/no-ip-path.ts): neither plugin may need them. With `measureRss`
 * the plugin runs under GNU time, and `peakRssKiB` is its peak resident set (for a plugin that
 * runs another, such as ptp running host-local, the larger of the two).
 */
export function runPlugin(binary: string, env: Record<string, string>, stdin: string, measureRss = false): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const [file, args] = measureRss ? [gnuTime, ["-f", "peak-rss-kib %M", binary]] : [binary, []];
    const child = spawn(file, args, { env: { PATH: pluginPath(), ...env }, stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => (stderr += err.message));
    child.on("close", (code) => {
      running.delete(child);
      const rss = /peak-rss-kib (\d+)\s*$/.exec(stderr);
      if (rss !== null) stderr = stderr.slice(0, rss.index);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: code ?? 1, stdout, stderr, peakRssKiB: rss === null ? undefined : Number(rss[1]) });
    });
    child.stdin?.end(stdin);
  });
}

/** Network namespaces `ptl-bench-<pid>-<n>` made by this process. */
export class BenchNetns {
  readonly made: string[] = [];
  private counter = 0;

  create(): string {
    const name = `ptl-bench-${process.pid}-${this.counter++}`;
    must(["ip", "netns", "add", name]);
    this.made.push(name);
    must(["ip", "-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  /** Interfaces other than `lo` still present in our namespaces (a DEL that left something). */
  leftovers(): string[] {
    const out: string[] = [];
    for (const ns of this.made) {
      const r = run(["ip", "-n", ns, "-j", "link", "show"]);
      if (r.status !== 0) continue;
      const links = JSON.parse(r.stdout || "[]") as Array<{ ifname: string }>;
      for (const l of links) if (l.ifname !== "lo") out.push(`${ns}:${l.ifname}`);
    }
    return out;
  }

  /** Deletes every namespace made here; returns the names that could not be removed. */
  removeAll(): string[] {
    const failed: string[] = [];
    for (const ns of [...this.made]) {
      run(["ip", "netns", "del", ns]);
      if (existsSync(`/var/run/netns/${ns}`)) failed.push(ns);
      else this.made.splice(this.made.indexOf(ns), 1);
    }
    return failed;
  }
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** Nearest-rank quantile of an unsorted sample. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
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
