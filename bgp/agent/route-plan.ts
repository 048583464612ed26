/**
 * The node's Petrel kernel routes and the changes that program them. Petrel owns only routes
 * with its protocol number (common/route-protocols.ts); a new route is *added* (never replaced)
 * so that the kernel itself refuses to overwrite a route of any other protocol at the same prefix
 * (a pod's /32, a connected route, the default route): `ip route replace` would take it over.
 * Only a route already known to be Petrel's is replaced, and removals name the protocol, which
 * the kernel matches. Pure.
 */
import { agentRouteProtocol } from "../../common/route-protocols.ts";

export type KernelRoute =
  | { readonly prefix: string; readonly kind: "via"; readonly gateway: string }
  | { readonly prefix: string; readonly kind: "blackhole" };

export type RouteChange =
  | { readonly op: "add" | "replace"; readonly route: KernelRoute }
  | { readonly op: "remove"; readonly prefix: string };

/** What applying a list of changes did, by prefix. */
export interface ApplyResult {
  /** `add` refused by the kernel: another route holds the prefix (EEXIST). */
  readonly exists: readonly string[];
  /** Other failures (an unreachable gateway, …), to retry later. */
  readonly failed: readonly { readonly prefix: string; readonly error: string }[];
}

/** The kernel as the route engine uses it (host/kernel-routes.ts; a fake in unit tests). */
export interface KernelPort {
  /** Petrel's routes, and the prefixes (canonical) that carry a route of any other protocol. */
  list(): Promise<{ petrel: KernelRoute[]; foreign: Set<string> }>;
  apply(changes: readonly RouteChange[]): Promise<ApplyResult>;
}

export function sameRoute(a: KernelRoute | undefined, b: KernelRoute | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  return a.kind === "blackhole" || (b.kind === "via" && a.gateway === b.gateway);
}

function routeText(r: KernelRoute): string {
  return r.kind === "blackhole" ? `blackhole ${r.prefix}` : `${r.prefix} via ${r.gateway}`;
}

/** One `ip -batch` line per change, in order (line N of the script is changes[N-1]). */
export function batchLines(changes: readonly RouteChange[]): string[] {
  return changes.map((c) =>
    c.op === "remove" ? `route del ${c.prefix} proto ${agentRouteProtocol}` : `route ${c.op} ${routeText(c.route)} proto ${agentRouteProtocol}`);
}

export function changePrefix(c: RouteChange): string {
  return c.op === "remove" ? c.prefix : c.route.prefix;
}
