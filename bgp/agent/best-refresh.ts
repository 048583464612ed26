/**
 * The full pass's first half: gobgpd's whole RIB merged into the best-path table (events that
 * arrive during the listing win, best-table.ts), and the prefixes whose best path changed handed
 * to the route engine for a re-check. The slow anti-entropy pass and what runs when gobgpd comes
 * back; never the hot path.
 */
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { GobgpError } from "../gobgp/grpc-error.ts";
import type { RouteUpdate } from "../gobgp/types.ts";
import type { RouteEngine } from "./route-engine.ts";

/** Returns false when gobgpd could not be listed (the table is left as it was; retried). */
export async function refreshBestPaths(engine: RouteEngine, bgp: Pick<GobgpClient, "listRoutes">, log: Logger): Promise<boolean> {
  const refresh = engine.best.beginRefresh();
  try {
    const listing: RouteUpdate[] = [];
    for (const f of ["ipv4-unicast", "ipv6-unicast"] as const) listing.push(...(await bgp.listRoutes(f)));
    engine.recheck(engine.best.finishRefresh(refresh, listing));
    return true;
  } catch (err) {
    if (err instanceof GobgpError && err.reason === "not-started") {
      // BGP not started (a fresh gobgpd the agent has not configured yet): its RIB is empty.
      engine.recheck(engine.best.finishRefresh(refresh, []));
      return true;
    }
    engine.best.abortRefresh(refresh);
    log.warn("cannot list gobgpd's routes for the full comparison; retrying", { error: errorMessage(err) });
    return false;
  }
}
