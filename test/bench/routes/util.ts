// Small helpers for test/bench/routes-bench.ts: its program runs (test/rig/run-process.ts, with the
// children tracked for the signal handler), /proc readings of one pid, table printing, and a
// cleanup list that a signal handler can run. Processes are always addressed by the pid this
// process started, never by name. Quantiles: test/bench/stats.ts.
import { readFileSync } from "node:fs";
import { mustRun, runProcess, RunningChildren, type ProcessResult } from "../../rig/run-process.ts";
import { sumSamples } from "../../support/prom-text.ts";

/** The bench's short-lived children while they run, so that a signal handler can end exactly these (by pid). */
const running = new RunningChildren();

/** After a signal: kill the running short-lived children and start no more. */
export function stopExecs(): void {
  running.stopAll();
}

/** Runs a program to completion without blocking the event loop (test/rig/run-process.ts); never throws on a non-zero exit. */
export function exec(argv: readonly string[]): Promise<ProcessResult> {
  const [file, ...args] = argv;
  return runProcess(file as string, args, { children: running });
}

export function execOk(argv: readonly string[]): Promise<string> {
  const [file, ...args] = argv;
  return mustRun(file as string, args, { children: running });
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
