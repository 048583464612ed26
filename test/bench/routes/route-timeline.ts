// The number of routes inside one range in a namespace's kernel over time, from
// `ip -ts monitor route` (stamped by `ip` itself, as route-monitor.ts): for bench:routes' plot of
// routes over time (part 2). Started before and stopped after the part, so it needs nothing from
// the part's own code; what else is in the range (a node's own block, its pods) is a constant
// offset, read from a listing at the start.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { containsCidr, parseCidr, type Cidr } from "../../../common/cidr.ts";
import { parseMonitorLine } from "./route-monitor.ts";
import { execOk, sleep, wallMs } from "./util.ts";

export class RouteTimeline {
  readonly #range: Cidr;
  readonly #child: ChildProcess;
  readonly #present = new Set<string>();
  readonly #closed: Promise<void>;
  /** [wall-clock ms as stamped by ip, routes in the range after the change]. */
  readonly points: [number, number][] = [];

  private constructor(netns: string, range: string) {
    this.#range = parseCidr(range);
    // pdeathsig: an interrupted benchmark must not leave the monitor behind (its netns may be gone, so no write would ever fail).
    this.#child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "nice", "-n", "-10", "ip", "-n", netns, "-ts", "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
    this.#closed = new Promise((resolve) => this.#child.on("close", () => resolve()));
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on("line", (line) => this.#onLine(line));
  }

  static async start(netns: string, range: string): Promise<RouteTimeline> {
    const t = new RouteTimeline(netns, range);
    await sleep(300); // the monitor subscribes
    for (const line of (await execOk(["ip", "-n", netns, "-4", "route", "show", "root", range])).split("\n")) {
      const words = line.split(" ");
      // "blackhole 198.18.0.0/26 ..." or "198.18.0.64/26 via ..."
      const prefix = words[0] === "blackhole" || words[0] === "unreachable" || words[0] === "prohibit" ? words[1] : words[0];
      if (prefix !== undefined && prefix !== "") t.#present.add(prefix.includes("/") ? prefix : `${prefix}/32`);
    }
    t.points.push([wallMs(), t.#present.size]);
    return t;
  }

  #onLine(line: string): void {
    const e = parseMonitorLine(line);
    if (e === undefined) return;
    try {
      if (!containsCidr(this.#range, parseCidr(e.prefix, "prefix", false))) return;
    } catch {
      return;
    }
    const before = this.#present.size;
    if (e.deleted) this.#present.delete(e.prefix);
    else this.#present.add(e.prefix);
    if (this.#present.size !== before) this.points.push([e.at, this.#present.size]);
  }

  async stop(): Promise<[number, number][]> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
    await this.#closed;
    return this.points;
  }
}
