/**
 * Reading a long-lived `ip -force -batch -` (host/ip-batch.ts): which lines of a batch failed,
 * and when the batch is over. ip numbers its input lines from 1 for as long as it runs and, for
 * each line that fails, prints the error's message lines and then `Command failed -:<line>` on
 * stderr (iproute2 6.1). Every batch ends with `sentinelCommand`, which always fails without
 * changing anything: its report says that ip has run the whole batch. Pure.
 */
import { agentRouteProtocol } from "../../common/route-protocols.ts";

/**
 * A delete from a routing table that does not exist: the kernel answers "FIB table does not
 * exist" and nothing changes. Table 5288 is unused by Petrel (and if an operator made it, only a
 * 0.0.0.0/32 route of Petrel's own protocol there would go).
 */
export const sentinelCommand = `route del 0.0.0.0/32 table 5288 proto ${agentRouteProtocol}`;

export class BatchTracker {
  /** Lines written to ip so far (the last batch's sentinel included). */
  #written = 0;
  #base = 0;
  #sentinel = 0;
  #failures = new Map<number, string>();
  #message: string[] = [];

  /** A batch of `lines` lines (then the sentinel) is about to be written. */
  begin(lines: number): void {
    this.#base = this.#written;
    this.#sentinel = this.#written + lines + 1;
    this.#written = this.#sentinel;
    this.#failures = new Map();
    this.#message = [];
  }

  /**
   * Complete stderr lines. Returns the batch's failures (by 1-based line of the batch) once the
   * sentinel's report arrives, else undefined.
   */
  feed(text: string): Map<number, string> | undefined {
    let done: Map<number, string> | undefined;
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      const m = /^Command failed -:(\d+)$/.exec(line);
      if (m === null) {
        this.#message.push(line);
        continue;
      }
      const n = Number(m[1]);
      const message = this.#message.join(" ");
      this.#message = [];
      if (n === this.#sentinel) done = this.#failures;
      else if (n > this.#base && n < this.#sentinel) this.#failures.set(n - this.#base, message);
    }
    return done;
  }
}
