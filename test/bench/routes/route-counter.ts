// Counts a namespace's kernel routes inside one range as they come and go, from
// `ip -ts monitor route` (one process per namespace, nice -10): every change is stamped by `ip`
// itself, so the times of "all 10,000 in" and "all gone" do not depend on this process's event
// loop, and nothing lists a 10,000-route table 20 times a second beside the programs measured.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { containsCidr, parseCidr, type Cidr } from "../../../common/cidr.ts";
import { execOk, sleep } from "./util.ts";
import { parseMonitorLine } from "./route-monitor.ts";

interface Waiter {
  target: number;
  resolve: (at: number) => void;
}

export class RouteCounter {
  readonly netns: string;
  readonly #range: Cidr;
  readonly #rangeText: string;
  readonly #child: ChildProcess;
  readonly #present = new Set<string>();
  #waiters: Waiter[] = [];
  /** ip's stamp of the first change since the last reset(). */
  firstChangeAt: number | undefined;
  #closed: Promise<void>;

  private constructor(netns: string, range: string) {
    this.netns = netns;
    this.#range = parseCidr(range);
    this.#rangeText = range;
    this.#child = spawn("nice", ["-n", "-10", "ip", "-n", netns, "-ts", "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
    this.#closed = new Promise((resolve) => this.#child.on("close", () => resolve()));
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on("line", (line) => this.#onLine(line));
  }

  /** Starts counting; the routes already there are counted from a listing. */
  static async start(netns: string, range: string): Promise<RouteCounter> {
    const c = new RouteCounter(netns, range);
    await sleep(300); // the monitor subscribes
    const listed = await execOk(["ip", "-n", netns, "-4", "route", "show", "root", range]);
    for (const line of listed.split("\n")) {
      const prefix = line.split(" ")[0];
      if (prefix !== undefined && prefix !== "") c.#present.add(prefix.includes("/") ? prefix : `${prefix}/32`);
    }
    return c;
  }

  #onLine(line: string): void {
    const e = parseMonitorLine(line);
    if (e === undefined) return;
    let c: Cidr;
    try {
      c = parseCidr(e.prefix, "prefix", false);
    } catch {
      return;
    }
    if (!containsCidr(this.#range, c)) return;
    this.firstChangeAt ??= e.at;
    if (e.deleted) this.#present.delete(e.prefix);
    else this.#present.add(e.prefix);
    const size = this.#present.size;
    this.#waiters = this.#waiters.filter((w) => {
      if (w.target !== size) return true;
      w.resolve(e.at);
      return false;
    });
  }

  get count(): number {
    return this.#present.size;
  }

  reset(): void {
    this.firstChangeAt = undefined;
  }

  /** Resolves with ip's stamp when the count reaches `target` (now, if it already has). */
  waitCount(target: number, timeoutMs: number): Promise<number> {
    if (this.#present.size === target) return Promise.resolve(performance.timeOrigin + performance.now());
    return new Promise((resolve, reject) => {
      const w: Waiter = { target, resolve: (at) => { clearTimeout(timer); resolve(at); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`${this.netns}: ${this.#present.size} routes in ${this.#rangeText} after ${timeoutMs} ms, waiting for ${target}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
    await this.#closed;
  }
}
