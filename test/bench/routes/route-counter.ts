// Counts a namespace's kernel routes inside one range as they come and go, from
// `ip -ts monitor route` (one process per namespace, nice -10): every change is stamped by `ip`
// itself, so the times of "all 10,000 in" and "all gone" do not depend on this process's event
// loop, and nothing lists a 10,000-route table 20 times a second beside the programs measured.
//
// The monitor can lose changes: a burst (BIRD or `ip -batch` writing 10,000 routes in half a
// second) can fill its netlink socket while it waits on the pipe to this process, and the kernel
// then drops notifications and `ip` says "netlink receive error No buffer space available" on
// stderr. A count kept from such a stream is wrong for good, and a wait for 10,000 (or 0) never
// ends (the likely cause of a run that stopped with 4271 counted in the BIRD node's namespace).
// So the socket is made large,
// and after an overflow the count is taken from listings of the kernel until the waits are over;
// a time that comes from a listing is marked approximate (it is when the listing returned).
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { containsCidr, parseCidr, type Cidr } from "../../../common/cidr.ts";
import { execOk, sleep, wallMs } from "./util.ts";
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
  /** Times `ip monitor` said its netlink socket overflowed (changes were lost) since start. */
  overflows = 0;
  /** Since the last reset(), a wait was resolved from a listing (after an overflow), not by ip's stamp. */
  approximate = false;
  /** Changes were lost: the count is repaired from listings while anyone waits. */
  #lossy = false;
  #listing: Promise<void> | undefined;
  /** Changes read while a listing runs, replayed on it. */
  #journal: { prefix: string; deleted: boolean }[] | undefined;

  private constructor(netns: string, range: string) {
    this.netns = netns;
    this.#range = parseCidr(range);
    this.#rangeText = range;
    // -rcvbuf: up to net.core.rmem_max (the kernel caps it); fewer overflows, not none.
    this.#child = spawn("nice", ["-n", "-10", "ip", "-rcvbuf", String(64 << 20), "-n", netns, "-ts", "monitor", "route"], { stdio: ["ignore", "pipe", "pipe"] });
    createInterface({ input: this.#child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      if (!/No buffer space/.test(line)) return;
      this.overflows++;
      this.#lossy = true;
      void this.#relist();
    });
    this.#closed = new Promise((resolve) => this.#child.on("close", () => resolve()));
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on("line", (line) => this.#onLine(line));
  }

  /** Starts counting; the routes already there are counted from a listing. */
  static async start(netns: string, range: string): Promise<RouteCounter> {
    const c = new RouteCounter(netns, range);
    await sleep(300); // the monitor subscribes
    for (const prefix of await c.#list()) c.#present.add(prefix);
    return c;
  }

  /** The prefixes in the range, from a kernel listing. */
  async #list(): Promise<string[]> {
    const listed = await execOk(["ip", "-n", this.netns, "-4", "route", "show", "root", this.#rangeText]);
    const out: string[] = [];
    for (const line of listed.split("\n")) {
      const prefix = line.split(" ")[0];
      if (prefix !== undefined && prefix !== "") out.push(prefix.includes("/") ? prefix : `${prefix}/32`);
    }
    return out;
  }

  /**
   * After an overflow: the count from a listing, with the changes read meanwhile replayed on it,
   * again every 250 ms while someone waits (a listing can miss what came just after it).
   */
  #relist(): Promise<void> {
    this.#listing ??= (async () => {
      try {
        do {
          this.#journal = [];
          const listed = await this.#list().catch(() => undefined);
          const journal = this.#journal;
          this.#journal = undefined;
          if (listed !== undefined) {
            this.#present.clear();
            for (const p of listed) this.#present.add(p);
            for (const e of journal) {
              if (e.deleted) this.#present.delete(e.prefix);
              else this.#present.add(e.prefix);
            }
            this.#settle(wallMs(), true);
          }
          if (this.#waiters.length > 0) await sleep(250);
        } while (this.#waiters.length > 0);
      } finally {
        this.#listing = undefined;
      }
    })();
    return this.#listing;
  }

  #settle(at: number, fromListing: boolean): void {
    const size = this.#present.size;
    this.#waiters = this.#waiters.filter((w) => {
      if (w.target !== size) return true;
      if (fromListing) this.approximate = true;
      w.resolve(at);
      return false;
    });
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
    this.#journal?.push({ prefix: e.prefix, deleted: e.deleted });
    if (e.deleted) this.#present.delete(e.prefix);
    else this.#present.add(e.prefix);
    // After an overflow the count may be off until a listing repairs it: only a listing resolves.
    if (!this.#lossy) this.#settle(e.at, false);
  }

  get count(): number {
    return this.#present.size;
  }

  /** A new phase: ip's stamps are trusted again until the next overflow. */
  reset(): void {
    this.firstChangeAt = undefined;
    this.approximate = false;
    this.#lossy = false;
  }

  /** Resolves with ip's stamp when the count reaches `target` (now, if it already has). */
  waitCount(target: number, timeoutMs: number): Promise<number> {
    if (this.#present.size === target && !this.#lossy) return Promise.resolve(wallMs());
    return new Promise((resolve, reject) => {
      const w: Waiter = { target, resolve: (at) => { clearTimeout(timer); resolve(at); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        // Say what the kernel has, so that a miscount is never mistaken for the routes missing.
        void this.#list().then((l) => l.length, () => NaN).then((listed) => {
          reject(new Error(`${this.netns}: ${this.#present.size} routes in ${this.#rangeText} after ${timeoutMs} ms, waiting for ${target} (a kernel listing now has ${listed}; ip monitor overflowed ${this.overflows} time(s))`));
        });
      }, timeoutMs);
      this.#waiters.push(w);
      if (this.#lossy) void this.#relist();
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
    await this.#closed;
  }
}
