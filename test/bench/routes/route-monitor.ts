// One `ip -n <netns> -ts monitor route` process per node: every route change in the node's kernel
// arrives as a line stamped by `ip` itself (microseconds, local wall-clock time), so the arrival
// times do not depend on how busy this process's event loop is. Waiters ask for "the first time
// <prefix> appeared via <gateway>" or "the first time <prefix> was deleted".
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { exec, execOk, sleep, wallMs } from "./util.ts";

export interface RouteEvent {
  /** Wall-clock ms as stamped by `ip -ts`. */
  at: number;
  /** When this process read the line (wall-clock ms), for comparison. */
  readAt: number;
  deleted: boolean;
  type: string | undefined;
  prefix: string;
  via: string | undefined;
}

interface Waiter {
  prefix: string;
  match: (e: RouteEvent) => boolean;
  resolve: (e: RouteEvent) => void;
}

const lineRe = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?(?:(blackhole|unreachable|prohibit|local|broadcast|multicast) )?(\S+)(?: via (\S+))?/;

/** Parses one `ip -ts monitor route` line; undefined for anything else. */
export function parseMonitorLine(line: string, readAt = wallMs()): RouteEvent | undefined {
  const m = lineRe.exec(line);
  if (m === null) return undefined;
  // `ip` prints local time without a zone; an ISO date-time without offset is local time in JS too.
  const seconds = new Date(m[1] as string).getTime();
  const prefix = (m[5] as string).includes("/") ? (m[5] as string) : `${m[5] as string}/${(m[5] as string).includes(":") ? 128 : 32}`;
  return { at: seconds + Number(m[2]) / 1000, readAt, deleted: m[3] !== undefined, type: m[4], prefix, via: m[6] };
}

export class RouteMonitor {
  readonly netns: string;
  readonly child: ChildProcess;
  readonly #events = new Map<string, RouteEvent[]>();
  #waiters: Waiter[] = [];
  #closed: Promise<void>;
  #stderr = "";

  private constructor(netns: string) {
    this.netns = netns;
    // Raised priority (nice -10, execs ip: the pid stays ip's), so that on a saturated machine
    // `ip` stamps a route change when the kernel reports it, not when it next gets a CPU.
    this.child = spawn("nice", ["-n", "-10", "ip", "-n", netns, "-ts", "monitor", "route"], { stdio: ["ignore", "pipe", "pipe"] });
    this.#closed = new Promise((resolve) => this.child.on("close", () => resolve()));
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => (this.#stderr += d));
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => this.#onLine(line));
  }

  /**
   * Starts the monitor and proves it is subscribed: a blackhole route in a private table
   * (4242, never used otherwise) is added and removed, and its line must come through.
   */
  static async start(netns: string, probePrefix = "203.0.113.255/32"): Promise<RouteMonitor> {
    const m = new RouteMonitor(netns);
    for (let attempt = 0; attempt < 50; attempt++) {
      const since = wallMs();
      await execOk(["ip", "-n", netns, "route", "replace", "blackhole", probePrefix, "table", "4242"]);
      const seen = await m.waitFor(probePrefix, (e) => !e.deleted && e.at >= since - 1000, 200);
      await exec(["ip", "-n", netns, "route", "del", "blackhole", probePrefix, "table", "4242"]);
      if (seen !== undefined) return m;
      if (m.child.exitCode !== null) break;
      await sleep(50);
    }
    await m.stop();
    throw new Error(`ip monitor in ${netns} shows nothing: ${m.#stderr.trim()}`);
  }

  #onLine(line: string): void {
    const e = parseMonitorLine(line);
    if (e === undefined) return;
    const list = this.#events.get(e.prefix) ?? [];
    list.push(e);
    this.#events.set(e.prefix, list);
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.prefix === e.prefix && w.match(e)) w.resolve(e);
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** The first event (already seen or still to come) of `prefix` that matches; undefined on timeout. */
  waitFor(prefix: string, match: (e: RouteEvent) => boolean, timeoutMs: number): Promise<RouteEvent | undefined> {
    const seen = (this.#events.get(prefix) ?? []).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const w: Waiter = { prefix, match, resolve: (e) => { clearTimeout(timer); resolve(e); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** The route `prefix via gateway` was added (or replaced to that gateway). */
  waitAdded(prefix: string, gateway: string, timeoutMs: number): Promise<RouteEvent | undefined> {
    return this.waitFor(prefix, (e) => !e.deleted && e.via === gateway, timeoutMs);
  }

  /** A blackhole route for `prefix` was added. */
  waitBlackhole(prefix: string, timeoutMs: number): Promise<RouteEvent | undefined> {
    return this.waitFor(prefix, (e) => !e.deleted && e.type === "blackhole", timeoutMs);
  }

  waitDeleted(prefix: string, timeoutMs: number): Promise<RouteEvent | undefined> {
    return this.waitFor(prefix, (e) => e.deleted, timeoutMs);
  }

  /** Forgets the events of a prefix (keeps memory flat over many iterations). */
  forget(prefix: string): void {
    this.#events.delete(prefix);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.#closed;
  }
}
