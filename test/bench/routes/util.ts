// Small helpers for test/bench/routes-bench.ts: an async process runner, /proc readings of one
// pid, statistics, table printing, and a cleanup list that a signal handler can run. Processes
// are always addressed by the pid this process started, never by name.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { sumSamples } from "../../support/prom-text.ts";

export interface Exec {
  status: number;
  stdout: string;
  stderr: string;
}

/** Short-lived children still running, so that a signal handler can end exactly these (by pid). */
const running = new Set<ChildProcess>();
let refusing = false;

/** After a signal: kill the running short-lived children and start no more. */
export function stopExecs(): void {
  refusing = true;
  for (const child of running) child.kill("SIGKILL");
}

/** Runs a program to completion without blocking the event loop; never throws on a non-zero exit. */
export function exec(argv: readonly string[]): Promise<Exec> {
  const [file, ...args] = argv;
  if (refusing) return Promise.resolve({ status: 130, stdout: "", stderr: "interrupted" });
  return new Promise((resolve) => {
    const child = spawn(file as string, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    child.on("close", () => running.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => resolve({ status: 127, stdout, stderr: err.message }));
    child.on("close", (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

export async function execOk(argv: readonly string[]): Promise<string> {
  const r = await exec(argv);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with `ip -ts` stamps). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** VmRSS and VmHWM of a pid, in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** User + system CPU seconds a pid has used so far (its own threads, not its children). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the full line: 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** Machine-wide CPU jiffies (busy, total) from /proc/stat, for a busy percentage between two readings. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export function busyPct(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100;
}

/** The sum of a Prometheus metric's samples whose labels include `labels`, from an agent's /metrics; NaN when unreachable. */
export async function metricValue(port: number, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  let text: string;
  try {
    text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    return Number.NaN;
  }
  return sumSamples(text, name, labels);
}

/** Nearest-rank quantile; NaN for an empty sample. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export function fmt(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** A table with a header rule; the first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** Things to undo, last registered first; also run by the signal handler. */
export class Cleanup {
  readonly #steps: { name: string; run: () => Promise<void> | void }[] = [];

  add(name: string, run: () => Promise<void> | void): () => Promise<void> {
    const step = { name, run };
    this.#steps.push(step);
    return async () => {
      const i = this.#steps.indexOf(step);
      if (i < 0) return;
      this.#steps.splice(i, 1);
      await step.run();
    };
  }

  async runAll(log: (line: string) => void): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop();
      if (step === undefined) break;
      try {
        await step.run();
      } catch (err) {
        log(`cleanup of ${step.name} failed: ${String(err)}`);
      }
    }
  }
}
