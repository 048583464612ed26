/**
 * The client's lean calls (GobgpClient exposes them): what the agent reads of gobgpd in bulk,
 * the global RIB's paths, a peer's Adj-RIB-In and the sessions' state, listed or watched through
 * a RouteDecoder that reads only the NLRI, the next hop and the flags (transport.ts says why).
 */
import { watchDecoded, type BackoffOptions } from "./best-path-watch.ts";
import { apiFamily, parseFamily } from "./family.ts";
import { fromGrpcError } from "./grpc-error.ts";
import { checkAddress } from "./peer-codec.ts";
import type { GobgpTransport, RouteDecoder } from "./transport.ts";
import type { AddressFamily, RouteUpdate, RouteWatchEvent, WatchHandle } from "./types.ts";

/** gobgpd answers GetBgp cheaply whether BGP runs or not: proof that it is there after a break. */
const probe = (transport: GobgpTransport) => () => transport.unary("GetBgp", {});

async function listRaw(transport: GobgpTransport, request: Record<string, unknown>, field: string): Promise<Uint8Array[]> {
  try {
    return await transport.listRaw("ListPath", request);
  } catch (err) {
    throw fromGrpcError(err, "ListPath", transport.target, field);
  }
}

/** Every path of the global RIB of one family (GobgpClient.listRoutes). */
export async function listRoutes(transport: GobgpTransport, decoder: RouteDecoder, family: AddressFamily): Promise<RouteUpdate[]> {
  const f = parseFamily(family, "family");
  const answers = await listRaw(transport, { tableType: "GLOBAL", name: "", family: apiFamily(f), prefixes: [], enableFiltered: false }, "family");
  const out: RouteUpdate[] = [];
  for (const a of answers) for (const r of decoder.listPath(a)) out.push(r);
  return out;
}

/** One peer's Adj-RIB-In of one family, before the import policy (GobgpClient.listReceived). */
export async function listReceived(transport: GobgpTransport, decoder: RouteDecoder, peer: string, family: AddressFamily): Promise<RouteUpdate[]> {
  const f = parseFamily(family, "family");
  const address = checkAddress(peer, "peer");
  // enableFiltered false: gobgpd would run its import policy again on every path to mark it.
  const answers = await listRaw(transport, { tableType: "ADJ_IN", name: address, family: apiFamily(f), prefixes: [], enableFiltered: false }, "peer");
  const out: RouteUpdate[] = [];
  for (const a of answers) for (const r of decoder.listPath(a)) out.push({ ...r, peer: r.peer ?? address });
  return out;
}

/** Best-path changes of every family, the current table first (GobgpClient.watchRoutes). */
export function watchRoutes(transport: GobgpTransport, decoder: RouteDecoder, onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions): WatchHandle {
  return watchDecoded(transport, probe(transport), { table: { filters: [{ type: "BEST", init: true }] } }, decoder, onEvent, options);
}

/** Every received path before the import policy, and the sessions' changes (GobgpClient.watchReceived). */
export function watchReceived(transport: GobgpTransport, decoder: RouteDecoder, onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions): WatchHandle {
  return watchDecoded(transport, probe(transport), { peer: {}, table: { filters: [{ type: "ADJIN", init: true }] } }, decoder, onEvent, options);
}

/** The sessions' state changes only, no paths (GobgpClient.watchPeers). */
export function watchPeers(transport: GobgpTransport, decoder: RouteDecoder, onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions): WatchHandle {
  return watchDecoded(transport, probe(transport), { peer: {} }, decoder, onEvent, options);
}
