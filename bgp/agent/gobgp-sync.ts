/**
 * Makes gobgpd's configuration equal to the desired one: global settings, route-trust policies
 * (import-policy.ts), originated paths, peers. It keeps what it applied, so an ordinary change (a
 * block, a peer) costs only the calls that change something; it reads gobgpd's own state again
 * (verify) after a reset: on start, after gobgpd restarted, and in the slow anti-entropy pass.
 *
 * Order matters for traffic and trust: policies before paths (gobgpd runs even its own paths
 * through the import policy), paths before peers (a session that comes up announces the node's
 * blocks with its End-of-RIB, so a peer that kept the node's routes through a graceful restart
 * never sees an empty update), new statements before old ones go (no moment without one).
 * Peers carry a fingerprint of their settings in their description, so a changed setting
 * (password, timers) is re-applied even across agent restarts.
 */
import { createHash } from "node:crypto";
import { formatCidr, parseCidr } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { GobgpError } from "../gobgp/grpc-error.ts";
import type { AddressFamily, PathInput } from "../gobgp/types.ts";
import type { DesiredBgp, DesiredPeer } from "./desired-bgp.ts";
import { exportLocalPolicyName, exportLocalStatement, importPolicyName, localStatement, type DesiredPolicy } from "./import-policy.ts";

const families: readonly AddressFamily[] = ["ipv4-unicast", "ipv6-unicast"];
const familyOf = (prefix: string): AddressFamily => (prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast");
const ownName = (name: string) => name.startsWith("petrel-");
const canonical = (prefix: string) => formatCidr(parseCidr(prefix, "prefix", false));

export function peerFingerprint(p: DesiredPeer): string {
  // Only what gobgpd is told counts (kind, source and description are Petrel's own labels).
  const settings = { ...p, kind: undefined, source: undefined, description: undefined };
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 12);
}

function pathKey(p: { prefix: string; nextHop: string; communities?: readonly string[]; largeCommunities?: readonly string[] }): string {
  return JSON.stringify([p.prefix, p.nextHop, [...(p.communities ?? [])].sort(), [...(p.largeCommunities ?? [])].sort()]);
}

export interface AppliedPath {
  readonly prefix: string;
  readonly nextHop: string;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}

/** The path a key stands for (pathKey's inverse). */
function pathOfKey(key: string): AppliedPath {
  const [prefix, nextHop, communities, largeCommunities] = JSON.parse(key) as [string, string, string[], string[]];
  return { prefix, nextHop, communities, largeCommunities };
}

/** An exact prefix-set entry is stored as its CIDR, anything else with its range (so it never matches). */
function entryKey(e: { prefix: string; maskLengthMin?: number; maskLengthMax?: number }): string {
  const len = Number(e.prefix.slice(e.prefix.indexOf("/") + 1));
  return (e.maskLengthMin ?? len) === len && (e.maskLengthMax ?? len) === len ? e.prefix : `${e.prefix} ${e.maskLengthMin}..${e.maskLengthMax}`;
}

interface Applied {
  global: { asn: number; routerId: string; listenPort: number } | undefined;
  sets: Map<string, Set<string>>;
  /** Statements of petrel-import besides petrel-local; undefined: the policy does not exist. */
  importStatements: Set<string> | undefined;
  exportLocal: boolean;
  assignments: { import: string; export: string };
  /** Other petrel-* policies found in gobgpd (an older agent's), to delete. */
  strayPolicies: Set<string>;
  peers: Map<string, string>;
  paths: Map<string, string>;
}

function emptyApplied(): Applied {
  return { global: undefined, sets: new Map(), importStatements: undefined, exportLocal: false, assignments: { import: "", export: "" }, strayPolicies: new Set(), peers: new Map(), paths: new Map() };
}

export interface SyncInput {
  readonly bgp: DesiredBgp;
  readonly policy: DesiredPolicy;
  /** Sets whose contents may have changed since the last apply; unset: every set is compared. */
  readonly changedSets?: ReadonlySet<string>;
}

export interface SyncResult {
  readonly peersAdded: number;
  readonly peersRemoved: number;
  readonly pathsAdded: number;
  readonly pathsRemoved: number;
  /** Policy calls made (sets, statements, assignments). */
  readonly policyChanges: number;
}

export class GobgpSync {
  readonly #bgp: GobgpClient;
  readonly #log: Logger;
  #applied: Applied | undefined;

  constructor(bgp: GobgpClient, log: Logger) {
    this.#bgp = bgp;
    this.#log = log;
  }

  /** Forget what was applied: the next apply reads gobgpd's state first (restart, anti-entropy). */
  reset(): void {
    this.#applied = undefined;
  }

  /** Prefixes this node advertises (its local paths in gobgpd, as applied). */
  advertised(): string[] {
    return [...(this.#applied?.paths.keys() ?? [])].sort();
  }

  /** The paths this node originates, as applied (prefix, next hop, communities). */
  advertisedPaths(): AppliedPath[] {
    return [...(this.#applied?.paths.values() ?? [])].map(pathOfKey).sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  async apply(input: SyncInput): Promise<SyncResult> {
    const a = this.#applied ?? (await this.#read());
    // Anything that throws below leaves the cache unknown: the next apply reads gobgpd again.
    this.#applied = undefined;
    const d = input.bgp;
    let policyChanges = 0;
    if (a.global !== undefined && (a.global.asn !== d.asn || a.global.routerId !== d.routerId || a.global.listenPort !== d.listenPort)) {
      // AS, router ID or port changed: gobgpd can only take them with a restart of BGP.
      this.#log.warn("BGP global settings changed; restarting BGP in gobgpd", { from: a.global, to: { asn: d.asn, routerId: d.routerId, listenPort: d.listenPort } });
      await this.#bgp.stopBgp();
      Object.assign(a, emptyApplied());
    }
    if (a.global === undefined) {
      // StartBgp also resets gobgpd's routing policy: everything below is built afresh.
      await this.#bgp.startBgp({ asn: d.asn, routerId: d.routerId, listenPort: d.listenPort });
      Object.assign(a, emptyApplied());
      a.global = { asn: d.asn, routerId: d.routerId, listenPort: d.listenPort };
    }
    const hadPeers = a.peers.size > 0;
    const p = input.policy;
    // 1. Sets: new entries in first, stale entries out.
    const resetFor = new Set<string>();
    for (const [name, want] of p.sets) {
      const have = a.sets.get(name);
      if (have !== undefined && input.changedSets !== undefined && !input.changedSets.has(name)) continue;
      const missing = [...want].filter((x) => !(have?.has(x) ?? false));
      const stale = have === undefined ? [] : [...have].filter((x) => !want.has(x));
      if (missing.length > 0) {
        await this.#bgp.addDefinedSet({ type: "prefix", name, prefixes: missing.map((prefix) => ({ prefix })) });
        policyChanges++;
      }
      if (stale.length > 0) {
        await this.#removeEntries(name, stale);
        policyChanges++;
      }
      if (missing.length > 0 || stale.length > 0) resetFor.add(name);
      // What gobgpd holds now, not `want`: the policy's sets are the block index's live sets, and
      // a block event during the awaits above adds to `want` what was not sent (it marks the set
      // changed, so the next apply sends it; recording `want` here lost it until a full pass).
      const now = new Set(have ?? []);
      for (const x of missing) now.add(x);
      for (const x of stale) now.delete(x);
      a.sets.set(name, now);
    }
    // 2. Statements: the import policy with every wanted statement.
    const wanted = new Map([...p.statements].map(([name, s]) => [name, s.statement]));
    const present: Set<string> = a.importStatements ?? new Set();
    const added = [...p.statements].filter(([name]) => !present.has(name));
    if (a.importStatements === undefined) {
      await this.#bgp.addPolicy({ name: importPolicyName, statements: [localStatement, ...wanted.values()] });
      policyChanges++;
    } else if (added.length > 0) {
      await this.#bgp.addStatements(importPolicyName, added.map(([, s]) => s.statement));
      policyChanges++;
    }
    for (const [name, s] of added) {
      present.add(name);
      resetFor.add(s.set);
    }
    a.importStatements = present;
    if (!p.reflector && !a.exportLocal) {
      await this.#bgp.addPolicy({ name: exportLocalPolicyName, statements: [exportLocalStatement] });
      a.exportLocal = true;
      policyChanges++;
    }
    // 3. Assignments (unchanged ones are left alone: setting one re-evaluates nothing anyway).
    const exportPolicy = p.reflector ? importPolicyName : exportLocalPolicyName;
    if (a.assignments.import !== importPolicyName) {
      await this.#bgp.setPolicyAssignment({ direction: "import", policies: [importPolicyName], defaultAction: "reject" });
      a.assignments.import = importPolicyName;
      policyChanges++;
    }
    if (a.assignments.export !== exportPolicy) {
      await this.#bgp.setPolicyAssignment({ direction: "export", policies: [exportPolicy], defaultAction: "reject" });
      a.assignments.export = exportPolicy;
      policyChanges++;
      this.#log.info("BGP export policy set", { policy: exportPolicy });
    }
    // 4. Old statements, sets and policies out, now that nothing refers to them.
    const staleStatements = [...present].filter((n) => !wanted.has(n));
    if (staleStatements.length > 0) {
      await this.#bgp.removeStatements(importPolicyName, staleStatements);
      for (const n of staleStatements) present.delete(n);
      policyChanges++;
    }
    for (const name of [...a.sets.keys()]) {
      if (p.sets.has(name)) continue;
      await this.#ignoreMissing(() => this.#bgp.deleteDefinedSet("prefix", name));
      a.sets.delete(name);
      resetFor.add(name);
      policyChanges++;
    }
    if (p.reflector && a.exportLocal) {
      await this.#ignoreMissing(() => this.#bgp.deletePolicy(exportLocalPolicyName));
      a.exportLocal = false;
    }
    for (const name of a.strayPolicies) await this.#ignoreMissing(() => this.#bgp.deletePolicy(name));
    a.strayPolicies.clear();
    // 5. Paths, then 6. peers.
    const paths = await this.#applyPaths(a, d.paths);
    const peers = await this.#applyPeers(a, d.peers);
    this.#applied = a;
    // 7. gobgpd applies a changed policy only to routes that arrive later: routes a peer already
    // sent (a new block's route may have come before the block itself) are run through it again.
    if (hadPeers && resetFor.size > 0) await this.#resetIn(d, [...resetFor]);
    if (policyChanges > 0) this.#log.debug("BGP policy updated", { calls: policyChanges, sets: [...resetFor].slice(0, 10) });
    return { ...peers, ...paths, policyChanges };
  }

  async #removeEntries(name: string, stale: readonly string[]): Promise<void> {
    const prefixes = stale.map((k) => {
      const [prefix = k, range] = k.split(" ");
      const [min, max] = (range ?? "").split("..").map(Number);
      return range === undefined ? { prefix } : { prefix, maskLengthMin: min, maskLengthMax: max };
    });
    await this.#bgp.removeDefinedSetEntries({ type: "prefix", name, prefixes });
  }

  /** Soft reset inward of the peers that may carry routes of the changed sets. */
  async #resetIn(d: DesiredBgp, sets: readonly string[]): Promise<void> {
    const services = sets.some((s) => s.startsWith("petrel-services-"));
    const owners = new Set(sets.map((s) => /^petrel-blocks-v[46]-(.+)$/.exec(s)?.[1]).filter((n): n is string => n !== undefined));
    const targets = d.peers.filter((peer) => services || peer.kind !== "NodeMesh" || owners.has(peer.source.replace(/^Node /, "")));
    for (const peer of targets) {
      try {
        await this.#bgp.resetPeer(peer.address, { soft: "in" });
      } catch (err) {
        // A session that is not up has nothing to re-evaluate.
        this.#log.debug("soft reset skipped", { peer: peer.address, error: errorMessage(err) });
      }
    }
  }

  async #ignoreMissing(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (err) {
      if (!(err instanceof GobgpError && err.reason === "not-found")) throw err;
    }
  }

  /** gobgpd's state, as far as Petrel's configuration goes. */
  async #read(): Promise<Applied> {
    const a = emptyApplied();
    const g = await this.#bgp.getBgp();
    if (g === undefined) return a; // not started: nothing configured (a fresh or restarted gobgpd)
    a.global = { asn: g.asn, routerId: g.routerId, listenPort: g.listenPort };
    for (const s of await this.#bgp.listDefinedSets("prefix")) {
      if (s.type === "prefix" && ownName(s.name)) a.sets.set(s.name, new Set(s.prefixes.map(entryKey)));
    }
    for (const pol of await this.#bgp.listPolicies()) {
      if (!ownName(pol.name)) continue;
      if (pol.name === importPolicyName) {
        const names = pol.statements.map((st) => st.name ?? "");
        // An import policy without the local statement (an older agent's) is rebuilt whole.
        if (names.includes(localStatement.name)) a.importStatements = new Set(names.filter((n) => n !== localStatement.name));
        else a.strayPolicies.add(pol.name);
      } else if (pol.name === exportLocalPolicyName) {
        a.exportLocal = true;
      } else {
        a.strayPolicies.add(pol.name);
      }
    }
    for (const asg of await this.#bgp.listPolicyAssignments()) {
      const name = asg.defaultAction === "reject" && asg.policies.length === 1 ? (asg.policies[0] ?? "") : "";
      a.assignments[asg.direction] = name;
    }
    if (a.strayPolicies.has(importPolicyName)) {
      // Unassign and delete it first so that it can be made again with its new statements.
      await this.#ignoreMissing(() => this.#bgp.deletePolicyAssignment("import"));
      await this.#ignoreMissing(() => this.#bgp.deletePolicyAssignment("export"));
      await this.#ignoreMissing(() => this.#bgp.deletePolicy(importPolicyName));
      a.strayPolicies.delete(importPolicyName);
      a.assignments = { import: "", export: "" };
    }
    for (const peer of await this.#bgp.listPeers()) a.peers.set(peer.address, peer.description);
    // Local paths: the lean listing finds them among all routes, a second call reads their attributes.
    const local: string[] = [];
    for (const f of families) for (const r of await this.#bgp.listRoutes(f)) if (r.peer === undefined && !r.withdrawal) local.push(r.prefix);
    for (const f of families) {
      const mine = local.filter((x) => familyOf(x) === f);
      if (mine.length === 0) continue;
      for (const path of await this.#bgp.listPaths({ family: f, table: "global", prefixes: mine })) {
        if (path.neighborIp === undefined && !path.withdrawal) a.paths.set(path.prefix, pathKey(path));
      }
    }
    return a;
  }

  async #applyPeers(a: Applied, desired: readonly DesiredPeer[]): Promise<{ peersAdded: number; peersRemoved: number }> {
    const wanted = new Map(desired.map((p) => [p.address, p]));
    let peersAdded = 0;
    let peersRemoved = 0;
    for (const [address, description] of [...a.peers]) {
      const want = wanted.get(address);
      if (want !== undefined && description.startsWith(`petrel ${peerFingerprint(want)} `)) continue;
      await this.#ignoreMissing(() => this.#bgp.deletePeer(address));
      a.peers.delete(address);
      peersRemoved++;
      this.#log.info(want === undefined ? "BGP peer removed" : "BGP peer settings changed; re-adding it", { peer: address });
    }
    for (const [address, want] of wanted) {
      if (a.peers.has(address)) continue;
      const description = `petrel ${peerFingerprint(want)} ${want.kind} ${want.source}`.slice(0, 250);
      await this.#bgp.addPeer({ ...want, description, families: [address.includes(":") ? "ipv6-unicast" : "ipv4-unicast"] });
      a.peers.set(address, description);
      peersAdded++;
      this.#log.info("BGP peer added", { peer: address, asn: want.asn, type: want.kind, source: want.source });
    }
    return { peersAdded, peersRemoved };
  }

  async #applyPaths(a: Applied, desired: readonly PathInput[]): Promise<{ pathsAdded: number; pathsRemoved: number }> {
    let pathsAdded = 0;
    let pathsRemoved = 0;
    // Keyed by canonical prefix, as gobgpd reports its paths ("2001:db8:0::/112" is "2001:db8::/112").
    const wanted = new Map(desired.map((p) => [canonical(p.prefix), p]));
    for (const [prefix, p] of wanted) {
      const key = pathKey({ ...p, prefix });
      if (a.paths.get(prefix) === key) continue;
      await this.#bgp.addPath(p); // replaces an older local path of the same prefix
      a.paths.set(prefix, key);
      pathsAdded++;
      this.#log.info("advertising", { prefix, nextHop: p.nextHop });
    }
    for (const prefix of [...a.paths.keys()]) {
      if (wanted.has(prefix)) continue;
      // By prefix: gobgpd 3.10 deletes every local path when DeletePath names neither (MACHINE-NOTES).
      await this.#ignoreMissing(() => this.#bgp.deletePath({ prefix }));
      a.paths.delete(prefix);
      pathsRemoved++;
      this.#log.info("withdrawn", { prefix });
    }
    return { pathsAdded, pathsRemoved };
  }
}
