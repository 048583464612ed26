/**
 * When the agent reads node forwarding (forwarding.ts decides what the readings mean): on a
 * config pass when the families of the node's blocks changed, and on status passes at most
 * every `intervalMs`. A status pass can run every couple of seconds; where a node is a network
 * namespace (tests, the demo) each check spawns `ip netns exec … sysctl`, which was the largest
 * part of an idle agent's CPU in bench:routes (6 s of 36 s over a 6-minute run). At most every
 * 10 s it is 6 spawns a minute at about 3 ms of the agent's CPU each, 0.03 % of a core (CPU
 * profile of the agent with 10,000 routes over bench:routes' 60 s idle window, 2026-12-02), so
 * it stays a spawn.
 */
import type { IPAMBlock } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { AgentPorts } from "./agent-ports.ts";
import { forwardingFamilies, forwardingSysctl, type ForwardingReading } from "./forwarding.ts";

export class ForwardingCheck {
  readonly #port: AgentPorts["forwarding"];
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #onReadings: (r: readonly ForwardingReading[]) => void;
  #checkedAt = -Infinity;
  #families = "";
  /** The last readings (undefined before the first successful check). */
  readings: ForwardingReading[] | undefined;

  constructor(port: AgentPorts["forwarding"], log: Logger, now: () => number, intervalMs: number, onReadings: (r: readonly ForwardingReading[]) => void) {
    this.#port = port;
    this.#log = log;
    this.#now = now;
    this.#intervalMs = intervalMs;
    this.#onReadings = onReadings;
  }

  /** A config pass: check again when the families of the node's blocks changed. */
  async ifFamiliesChanged(blocks: readonly IPAMBlock[]): Promise<void> {
    if (forwardingFamilies(blocks).join(",") !== this.#families) await this.check(blocks);
  }

  /** A status pass: check when the last check is older than the interval. */
  async ifDue(blocks: readonly IPAMBlock[]): Promise<void> {
    if (this.#now() - this.#checkedAt >= this.#intervalMs) await this.check(blocks);
  }

  /** Reads (and where it can, turns on) forwarding for the families of the node's blocks. */
  async check(blocks: readonly IPAMBlock[]): Promise<void> {
    this.#checkedAt = this.#now();
    const families = forwardingFamilies(blocks);
    try {
      const readings = await this.#port.ensure(families);
      this.readings = readings;
      this.#families = families.join(",");
      this.#onReadings(readings);
      for (const r of readings) {
        if (r.turnedOn) this.#log.warn("IP forwarding was off on this node; turned it on", { sysctl: forwardingSysctl[r.family] });
        else if (!r.enabled) this.#log.debug("IP forwarding is off on this node and the agent cannot turn it on", { sysctl: forwardingSysctl[r.family], error: r.error });
      }
    } catch (err) {
      this.#log.warn("cannot check IP forwarding", { error: errorMessage(err) });
    }
  }
}
