/**
 * Kernel routes from BGP best paths (DESIGN.md flow 4): `<remote block> via <node IP>` for every
 * best path learned from a peer whose prefix lies inside a known pool or service CIDR, and a
 * blackhole route for each of the node's own blocks (stray traffic for unused addresses dies
 * here). Only routes tagged with Petrel's protocol number are ever compared, replaced or removed.
 * Pure; the edge turns the result into one `ip -batch` run.
 */
import { containsCidr, formatCidr, parseCidr, type Cidr } from "../../common/cidr.ts";
import { agentRouteProtocol } from "../../common/route-protocols.ts";
import type { PrefixMatch } from "../gobgp/types.ts";

export type KernelRoute =
  | { readonly prefix: string; readonly kind: "via"; readonly gateway: string }
  | { readonly prefix: string; readonly kind: "blackhole" };

/** The best path of one prefix, as the agent keeps it from gobgpd's watch. */
export interface BestRoute {
  readonly prefix: string;
  readonly nextHop: string;
  /** undefined for a path this node originated itself. */
  readonly neighbor: string | undefined;
}

/**
 * Parsed prefixes, memoised: a route pass looks at every best path, and with 10,000 routes
 * re-parsing them all on each pass was a third of the agent's CPU (bench:routes profile).
 */
const parsed = new Map<string, Cidr | undefined>();

function tryCidr(text: string): Cidr | undefined {
  if (parsed.has(text)) return parsed.get(text);
  let c: Cidr | undefined;
  try {
    c = parseCidr(text);
  } catch {
    c = undefined;
  }
  if (parsed.size > 200_000) parsed.clear(); // bounded: prefixes come and go over months
  parsed.set(text, c);
  return c;
}

/** True when `prefix` lies inside one of `allowed` with a mask length in its range. */
export function prefixAllowed(prefix: Cidr, allowed: readonly PrefixMatch[]): boolean {
  return allowed.some((m) => {
    const outer = tryCidr(m.prefix);
    if (outer === undefined || !containsCidr(outer, prefix)) return false;
    return prefix.prefixLength >= (m.maskLengthMin ?? outer.prefixLength) && prefix.prefixLength <= (m.maskLengthMax ?? outer.prefixLength);
  });
}

export interface RouteInputs {
  readonly best: Iterable<BestRoute>;
  readonly allowed: readonly PrefixMatch[];
  /** CIDRs of this node's own blocks. */
  readonly ownBlocks: readonly string[];
  readonly nodeAddress: string;
}

/** The routes the node should have, keyed by canonical prefix. */
export function desiredRoutes(inputs: RouteInputs): Map<string, KernelRoute> {
  const out = new Map<string, KernelRoute>();
  const own = new Set(inputs.ownBlocks.map((b) => tryCidr(b)).filter((c): c is Cidr => c !== undefined).map(key));
  for (const r of inputs.best) {
    const cidr = tryCidr(r.prefix);
    if (cidr === undefined || r.neighbor === undefined || r.nextHop === "" || r.nextHop === inputs.nodeAddress) continue;
    // Import filters run in gobgpd too; this second check keeps a mis-set policy from ever
    // putting a foreign prefix (a default route, someone else's network) into the kernel.
    if (!prefixAllowed(cidr, inputs.allowed) || own.has(key(cidr))) continue;
    out.set(key(cidr), { prefix: formatCidr(cidr), kind: "via", gateway: r.nextHop });
  }
  for (const b of inputs.ownBlocks) {
    const cidr = tryCidr(b);
    if (cidr !== undefined) out.set(key(cidr), { prefix: formatCidr(cidr), kind: "blackhole" });
  }
  return out;
}

function key(c: Cidr): string {
  // Canonical text, so that "2001:db8:0::/64" from BGP and "2001:db8::/64" from `ip -j route` compare equal.
  return formatCidr(c);
}

/** Canonical key of a prefix string, or undefined when it is not a CIDR. */
export function routeKey(prefix: string): string | undefined {
  const c = tryCidr(prefix);
  return c === undefined ? undefined : key(c);
}

export interface RouteChanges {
  readonly replace: KernelRoute[];
  /** Prefixes (as the kernel spelt them) of Petrel routes to remove. */
  readonly remove: string[];
}

/**
 * What to change so that the kernel's Petrel routes (`current`, all tagged with our protocol)
 * become `desired`. `allowRemovals` is false while BGP is still settling after a (re)start, so
 * routes are not pulled before the sessions have re-learned them.
 */
export function routeChanges(current: readonly KernelRoute[], desired: ReadonlyMap<string, KernelRoute>, allowRemovals: boolean): RouteChanges {
  const have = new Map<string, KernelRoute>();
  for (const r of current) {
    const k = routeKey(r.prefix);
    if (k !== undefined) have.set(k, r);
  }
  const replace: KernelRoute[] = [];
  for (const [k, want] of desired) {
    const cur = have.get(k);
    const same = cur !== undefined && cur.kind === want.kind && (cur.kind !== "via" || (want.kind === "via" && cur.gateway === want.gateway));
    if (!same) replace.push(want);
  }
  const remove = allowRemovals ? [...have].filter(([k]) => !desired.has(k)).map(([, r]) => r.prefix) : [];
  return { replace, remove };
}

/** `ip -batch` lines for the changes. */
export function routeBatch(changes: RouteChanges): string {
  const lines: string[] = [];
  for (const r of changes.replace) {
    lines.push(r.kind === "blackhole"
      ? `route replace blackhole ${r.prefix} proto ${agentRouteProtocol}`
      : `route replace ${r.prefix} via ${r.gateway} proto ${agentRouteProtocol}`);
  }
  for (const p of changes.remove) lines.push(`route del ${p} proto ${agentRouteProtocol}`);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
