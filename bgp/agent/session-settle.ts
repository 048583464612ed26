/**
 * After the agent or gobgpd (re)starts, no route is removed until the BGP sessions are back: the
 * route settle time counts from the moment every wanted peer is Established (checked once a
 * second) and waits at most the graceful-restart time (the peers drop a restarting node's routes
 * then anyway). Until then the engine is kept settling in short steps.
 */
import type { Logger } from "../../common/logger.ts";
import type { SessionState } from "../gobgp/types.ts";

export interface SessionSettlePorts {
  /** The sessions as gobgpd reports them (address and state). */
  readonly sessions: () => Promise<readonly { address: string; state: SessionState }[]>;
  /** The peers the node wants, or undefined before the first configuration. */
  readonly wanted: () => readonly string[] | undefined;
  /** No removals for this long from now (route-engine.ts). */
  readonly settle: (ms: number) => void;
  /** Asks for a route pass after this long (when the settle time ends). */
  readonly wake: (ms: number) => void;
  readonly log: Logger;
  readonly now: () => number;
}

export class SessionSettle {
  readonly #p: SessionSettlePorts;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ports: SessionSettlePorts) {
    this.#p = ports;
  }

  /** Starts (or starts again) waiting for the sessions; `settleMs` 0 means no settling at all. */
  start(settleMs: number, maxWaitMs: number): void {
    this.stop();
    if (settleMs <= 0) return;
    const deadline = this.#p.now() + Math.max(settleMs, maxWaitMs);
    const check = async () => {
      this.#timer = undefined;
      const wanted = this.#p.wanted();
      let up: boolean;
      try {
        const states = new Map((await this.#p.sessions()).map((s) => [s.address, s.state]));
        up = wanted !== undefined && wanted.every((a) => states.get(a) === "Established");
      } catch {
        up = false;
      }
      if (up || this.#p.now() >= deadline) {
        this.#p.settle(settleMs);
        this.#p.wake(settleMs + 10);
        if (!up) this.#p.log.warn("not every BGP session came back within the graceful-restart time; routes not re-learned are removed after the settle time", { settleMs });
        return;
      }
      this.#p.settle(2000);
      this.#timer = setTimeout(() => void check(), 1000);
    };
    this.#p.settle(2000);
    this.#timer = setTimeout(() => void check(), 1000);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
