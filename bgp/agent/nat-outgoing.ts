/**
 * natOutgoing as applied: the ruleset of the pools (nat-plan.ts) is written to nftables only
 * when it differs from the one last applied, so a config pass that changes no pool costs nothing.
 */
import type { IPPool } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { AgentPorts } from "./agent-ports.ts";
import { natRuleset } from "./nat-plan.ts";

export class NatOutgoing {
  readonly #port: AgentPorts["nat"];
  readonly #log: Logger;
  #applied: string | undefined;

  constructor(port: AgentPorts["nat"], log: Logger) {
    this.#port = port;
    this.#log = log;
  }

  /** Applies the pools' ruleset if it changed; returns why it failed (retried next pass), or undefined. */
  async apply(pools: readonly IPPool[]): Promise<string | undefined> {
    const nat = natRuleset(pools);
    if (nat === this.#applied) return undefined;
    try {
      await this.#port.apply(nat);
      this.#applied = nat;
      this.#log.info("natOutgoing rules applied", { pools: pools.filter((p) => p.spec.natOutgoing === true).map((p) => p.spec.cidr) });
      return undefined;
    } catch (err) {
      this.#log.warn("natOutgoing rules failed; retrying", { error: errorMessage(err) });
      return `cannot apply the natOutgoing rules: ${errorMessage(err)}`;
    }
  }
}
