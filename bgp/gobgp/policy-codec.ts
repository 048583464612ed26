/**
 * Routing policy between the client's types and gobgpd's DefinedSet, Policy/Statement and
 * PolicyAssignment messages. Assignments here always target the global RIB (gobgpd's table
 * name "global"): per-peer policies exist in gobgpd only for route-server clients.
 */
import { familyBits, formatAddress, formatCidr, parseAddress, parseCidr } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { formatCommunity, parseCommunity } from "./communities.ts";
import { field, list, num, str } from "./narrow.ts";
import type { DefinedSet, DefinedSetType, MatchKind, Policy, PolicyAssignment, PolicyDirection, PolicyStatement, PrefixMatch, RouteAction, RouteType } from "./types.ts";

export const globalRibName = "global";

export function checkName(name: string, fieldName: string): string {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(name)) {
    throw new InvalidInputError(fieldName, `"${name}" is not a usable name: use letters, digits, ".", "_", ":" and "-"`);
  }
  return name;
}

const definedTypes: Readonly<Record<DefinedSetType, string>> = { prefix: "PREFIX", neighbor: "NEIGHBOR" };

export function apiDefinedType(type: DefinedSetType): string {
  const t = definedTypes[type];
  if (t === undefined) throw new InvalidInputError("type", `unknown defined set type "${String(type)}": use "prefix" or "neighbor"`);
  return t;
}

function encodePrefixMatch(m: PrefixMatch, where: string): { ipPrefix: string; maskLengthMin: number; maskLengthMax: number; family: 4 | 6 } {
  const cidr = parseCidr(m.prefix, `${where}.prefix`);
  const bits = familyBits(cidr.family);
  const min = m.maskLengthMin ?? cidr.prefixLength;
  const max = m.maskLengthMax ?? (m.maskLengthMin === undefined ? cidr.prefixLength : bits);
  for (const [name, v] of [["maskLengthMin", min], ["maskLengthMax", max]] as const) {
    if (!Number.isInteger(v) || v < cidr.prefixLength || v > bits) {
      // A route shorter than the set's prefix can never lie inside it; gobgpd would accept the
      // range silently and never match.
      throw new InvalidInputError(`${where}.${name}`, `${v} must be between the prefix length ${cidr.prefixLength} and ${bits}`);
    }
  }
  if (min > max) throw new InvalidInputError(`${where}.maskLengthMin`, `${min} is larger than maskLengthMax ${max}`);
  return { ipPrefix: formatCidr(cidr), maskLengthMin: min, maskLengthMax: max, family: cidr.family };
}

export function encodeDefinedSet(set: DefinedSet): Record<string, unknown> {
  const name = checkName(set.name, "name");
  if (set.type === "prefix") {
    const prefixes = set.prefixes.map((p, i) => encodePrefixMatch(p, `prefixes[${i}]`));
    // gobgpd rejects a set that mixes families ("multiple families"); say which entry does.
    const mixed = prefixes.findIndex((p) => p.family !== prefixes[0]?.family);
    if (mixed >= 0) {
      throw new InvalidInputError(`prefixes[${mixed}]`, "a prefix set holds one address family: make one set per family");
    }
    return { definedType: "PREFIX", name, prefixes: prefixes.map((p) => ({ ipPrefix: p.ipPrefix, maskLengthMin: p.maskLengthMin, maskLengthMax: p.maskLengthMax })), list: [] };
  }
  if (set.type === "neighbor") {
    const neighbors = set.neighbors.map((n, i) => {
      const where = `neighbors[${i}]`;
      if (n.includes("/")) return formatCidr(parseCidr(n, where));
      const addr = parseAddress(n, where);
      return `${formatCidr({ family: addr.family, network: addr.value, prefixLength: familyBits(addr.family) })}`;
    });
    return { definedType: "NEIGHBOR", name, list: neighbors, prefixes: [] };
  }
  throw new InvalidInputError("type", `unknown defined set type "${String((set as { type: unknown }).type)}"`);
}

export function decodeDefinedSet(value: unknown): DefinedSet | undefined {
  const type = (value as { definedType?: unknown } | undefined)?.definedType;
  const name = str(value, "name");
  if (type === "PREFIX" || type === 0) {
    return {
      type: "prefix",
      name,
      prefixes: list(value, "prefixes").map((p) => ({
        prefix: str(p, "ipPrefix"), maskLengthMin: num(p, "maskLengthMin"), maskLengthMax: num(p, "maskLengthMax"),
      })),
    };
  }
  if (type === "NEIGHBOR" || type === 1) {
    return { type: "neighbor", name, neighbors: list(value, "list").filter((n): n is string => typeof n === "string") };
  }
  return undefined;
}

const matchKinds: Readonly<Record<MatchKind, string>> = { any: "ANY", invert: "INVERT" };

const routeTypes: Readonly<Record<RouteType, string>> = { internal: "ROUTE_TYPE_INTERNAL", external: "ROUTE_TYPE_EXTERNAL", local: "ROUTE_TYPE_LOCAL" };

function decodeRouteType(value: unknown): RouteType | undefined {
  if (value === "ROUTE_TYPE_INTERNAL" || value === 1) return "internal";
  if (value === "ROUTE_TYPE_EXTERNAL" || value === 2) return "external";
  if (value === "ROUTE_TYPE_LOCAL" || value === 3) return "local";
  return undefined;
}

function encodeMatch(m: { name: string; match?: MatchKind } | undefined, where: string): Record<string, unknown> | undefined {
  if (m === undefined) return undefined;
  const type = matchKinds[m.match ?? "any"];
  if (type === undefined) throw new InvalidInputError(`${where}.match`, `"${String(m.match)}" is not "any" or "invert"`);
  return { type, name: checkName(m.name, `${where}.name`) };
}

function encodeRouteAction(action: RouteAction | undefined, where: string): string {
  if (action === undefined) return "NONE";
  if (action === "accept") return "ACCEPT";
  if (action === "reject") return "REJECT";
  throw new InvalidInputError(where, `"${String(action)}" is not "accept" or "reject"`);
}

function encodeStatement(policy: string, s: PolicyStatement, i: number): Record<string, unknown> {
  const where = `statements[${i}]`;
  const actions: Record<string, unknown> = { routeAction: encodeRouteAction(s.action, `${where}.action`) };
  if (s.setLocalPref !== undefined) {
    if (!Number.isInteger(s.setLocalPref) || s.setLocalPref < 0 || s.setLocalPref > 0xffffffff) {
      throw new InvalidInputError(`${where}.setLocalPref`, `${s.setLocalPref} is not a 32-bit unsigned integer`);
    }
    actions["localPref"] = { value: s.setLocalPref };
  }
  if (s.addCommunities !== undefined && s.addCommunities.length > 0) {
    actions["community"] = {
      type: "ADD",
      communities: s.addCommunities.map((c, j) => formatCommunity(parseCommunity(c, `${where}.addCommunities[${j}]`))),
    };
  }
  const conditions: Record<string, unknown> = {};
  const prefixSet = encodeMatch(s.conditions?.prefixSet, `${where}.conditions.prefixSet`);
  if (prefixSet !== undefined) conditions["prefixSet"] = prefixSet;
  const neighborSet = encodeMatch(s.conditions?.neighborSet, `${where}.conditions.neighborSet`);
  if (neighborSet !== undefined) conditions["neighborSet"] = neighborSet;
  const nextHops = s.conditions?.nextHopInList;
  if (nextHops !== undefined) {
    // An empty list would match every next hop in gobgpd: refuse it rather than accept all.
    if (nextHops.length === 0) throw new InvalidInputError(`${where}.conditions.nextHopInList`, "is empty: leave it unset to match any next hop");
    conditions["nextHopInList"] = nextHops.map((n, j) => {
      const at = `${where}.conditions.nextHopInList[${j}]`;
      return n.includes("/") ? formatCidr(parseCidr(n, at)) : formatAddress(parseAddress(n, at));
    });
  }
  const routeType = s.conditions?.routeType;
  if (routeType !== undefined) {
    const t = routeTypes[routeType];
    if (t === undefined) throw new InvalidInputError(`${where}.conditions.routeType`, `"${String(routeType)}" is not "internal", "external" or "local"`);
    conditions["routeType"] = t;
  }
  // Statement names are global in gobgpd: derive them from the policy so two policies never clash.
  return { name: checkName(s.name ?? `${policy}-${i}`, `${where}.name`), conditions, actions };
}

export function encodePolicy(policy: Policy): Record<string, unknown> {
  const name = checkName(policy.name, "name");
  return { name, statements: policy.statements.map((s, i) => encodeStatement(name, s, i)) };
}

function decodeMatch(value: unknown): { name: string; match: MatchKind } | undefined {
  const name = str(value, "name");
  if (name === "") return undefined;
  const type = (value as { type?: unknown }).type;
  return { name, match: type === "INVERT" || type === 2 ? "invert" : "any" };
}

function decodeRouteAction(value: unknown): RouteAction | undefined {
  if (value === "ACCEPT" || value === 1) return "accept";
  if (value === "REJECT" || value === 2) return "reject";
  return undefined;
}

export function decodePolicy(value: unknown): Policy {
  return {
    name: str(value, "name"),
    statements: list(value, "statements").map((s): PolicyStatement => {
      const conditions = field(s, "conditions");
      const actions = field(s, "actions");
      const statement: PolicyStatement = { name: str(s, "name") };
      const prefixSet = decodeMatch(field(conditions, "prefixSet"));
      const neighborSet = decodeMatch(field(conditions, "neighborSet"));
      const nextHops = list(conditions, "nextHopInList").filter((n): n is string => typeof n === "string");
      const routeType = decodeRouteType(conditions?.["routeType"]);
      if (prefixSet !== undefined || neighborSet !== undefined || nextHops.length > 0 || routeType !== undefined) {
        statement.conditions = {};
        if (prefixSet !== undefined) statement.conditions.prefixSet = prefixSet;
        if (neighborSet !== undefined) statement.conditions.neighborSet = neighborSet;
        if (nextHops.length > 0) statement.conditions.nextHopInList = nextHops;
        if (routeType !== undefined) statement.conditions.routeType = routeType;
      }
      const action = decodeRouteAction(actions?.["routeAction"]);
      if (action !== undefined) statement.action = action;
      const localPref = field(actions, "localPref");
      if (localPref !== undefined) statement.setLocalPref = num(localPref, "value");
      const communities = list(field(actions, "community"), "communities").filter((c): c is string => typeof c === "string");
      if (communities.length > 0) statement.addCommunities = communities;
      return statement;
    }),
  };
}

export function apiDirection(direction: PolicyDirection): string {
  if (direction === "import") return "IMPORT";
  if (direction === "export") return "EXPORT";
  throw new InvalidInputError("direction", `"${String(direction)}" is not "import" or "export"`);
}

export function encodeAssignment(a: PolicyAssignment): Record<string, unknown> {
  if (a.defaultAction !== "accept" && a.defaultAction !== "reject") {
    // gobgpd reads "NONE" as "leave the default as it was", which hides mistakes.
    throw new InvalidInputError("defaultAction", `"${String(a.defaultAction)}" is not "accept" or "reject"`);
  }
  return {
    name: globalRibName,
    direction: apiDirection(a.direction),
    policies: a.policies.map((p, i) => ({ name: checkName(p, `policies[${i}]`) })),
    defaultAction: encodeRouteAction(a.defaultAction, "defaultAction"),
  };
}

export function decodeAssignment(value: unknown): PolicyAssignment | undefined {
  const dir = (value as { direction?: unknown } | undefined)?.direction;
  const direction: PolicyDirection | undefined = dir === "IMPORT" || dir === 1 ? "import" : dir === "EXPORT" || dir === 2 ? "export" : undefined;
  if (direction === undefined) return undefined;
  return {
    direction,
    policies: list(value, "policies").map((p) => str(p, "name")),
    // gobgpd reports an unset default as NONE, which behaves as accept.
    defaultAction: decodeRouteAction((value as { defaultAction?: unknown }).defaultAction) ?? "accept",
  };
}
