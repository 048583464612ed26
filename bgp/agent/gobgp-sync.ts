/**
 * Makes gobgpd's configuration equal to a DesiredBgp: global settings, import/export policies,
 * peers and originated paths. Every step compares with what gobgpd reports, so the same call
 * converges after an agent restart (gobgpd kept its state) and after a gobgpd restart (it forgot
 * everything). Peers carry a fingerprint of their settings in their description, so a changed
 * setting (password, timers) is re-applied even across agent restarts.
 */
import { createHash } from "node:crypto";
import { formatCidr, parseCidr } from "../../common/cidr.ts";
import type { Logger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import type { AddressFamily, PathInput, PrefixMatch } from "../gobgp/types.ts";
import type { DesiredBgp, DesiredPeer } from "./desired-bgp.ts";

const families: readonly AddressFamily[] = ["ipv4-unicast", "ipv6-unicast"];
const familyOf = (prefix: string): AddressFamily => (parseCidr(prefix).family === 4 ? "ipv4-unicast" : "ipv6-unicast");

export function peerFingerprint(p: DesiredPeer): string {
  // Only what gobgpd is told counts (kind, source and description are Petrel's own labels).
  const settings = { ...p, kind: undefined, source: undefined, description: undefined };
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 12);
}

function pathKey(p: { prefix: string; nextHop: string; communities?: readonly string[]; largeCommunities?: readonly string[] }): string {
  return JSON.stringify([p.prefix, p.nextHop, [...(p.communities ?? [])].sort(), [...(p.largeCommunities ?? [])].sort()]);
}

export interface SyncResult {
  readonly peersAdded: number;
  readonly peersRemoved: number;
  readonly pathsAdded: number;
  readonly pathsRemoved: number;
}

export class GobgpSync {
  readonly #bgp: GobgpClient;
  readonly #log: Logger;
  /** Which families the policies were last built for; undefined forces a rebuild (e.g. after a gobgpd restart). */
  #policyShape: string | undefined;
  /** The allowed prefixes last put into the sets. */
  #allowedKey: string | undefined;

  constructor(bgp: GobgpClient, log: Logger) {
    this.#bgp = bgp;
    this.#log = log;
  }

  /** Forget what was applied (gobgpd restarted): the next apply rebuilds everything. */
  reset(): void {
    this.#policyShape = undefined;
    this.#allowedKey = undefined;
  }

  async apply(d: DesiredBgp): Promise<SyncResult> {
    const running = await this.#bgp.getBgp();
    if (running !== undefined && (running.asn !== d.asn || running.routerId !== d.routerId || running.listenPort !== d.listenPort)) {
      // AS, router ID or port changed: gobgpd can only take them with a restart of BGP.
      this.#log.warn("BGP global settings changed; restarting BGP in gobgpd", { from: running, to: { asn: d.asn, routerId: d.routerId, listenPort: d.listenPort } });
      await this.#bgp.stopBgp();
      this.#policyShape = undefined;
    }
    if (running === undefined) this.#policyShape = undefined;
    await this.#bgp.startBgp({ asn: d.asn, routerId: d.routerId, listenPort: d.listenPort });
    await this.#applyPolicies(d.allowedPrefixes, d.exportPrefixes);
    const peers = await this.#applyPeers(d.peers);
    const paths = await this.#applyPaths(d.paths);
    return { ...peers, ...paths };
  }

  async #applyPolicies(allowed: readonly PrefixMatch[], exported: readonly PrefixMatch[]): Promise<void> {
    const directions = [
      { direction: "import" as const, prefixes: allowed },
      { direction: "export" as const, prefixes: exported },
    ];
    const setName = (direction: string, f: AddressFamily) => `petrel-${direction}-${f === "ipv4-unicast" ? "v4" : "v6"}`;
    const present = (prefixes: readonly PrefixMatch[]) => families.filter((f) => prefixes.some((m) => familyOf(m.prefix) === f));
    const shape = directions.map((d) => `${d.direction}:${present(d.prefixes).join(",")}`).join(" ");
    if (shape !== this.#policyShape) {
      // Rebuild: gobgpd cannot hold an empty prefix set, so which statements exist depends on
      // which families have prefixes. Assignments go first: a policy in use cannot be deleted.
      for (const { direction } of directions) await this.#ignoreMissing(() => this.#bgp.deletePolicyAssignment(direction));
      for (const { direction } of directions) await this.#ignoreMissing(() => this.#bgp.deletePolicy(`petrel-${direction}`));
      for (const { direction, prefixes } of directions) {
        for (const f of families) if (!present(prefixes).includes(f)) await this.#ignoreMissing(() => this.#bgp.deleteDefinedSet("prefix", setName(direction, f)));
      }
    }
    for (const { direction, prefixes } of directions) {
      for (const f of present(prefixes)) {
        await this.#bgp.replaceDefinedSet({ type: "prefix", name: setName(direction, f), prefixes: prefixes.filter((m) => familyOf(m.prefix) === f) });
      }
    }
    if (shape !== this.#policyShape) {
      for (const { direction, prefixes } of directions) {
        const name = `petrel-${direction}`;
        await this.#bgp.addPolicy({
          name,
          statements: present(prefixes).map((f) => ({ name: `${name}-${f}`, conditions: { prefixSet: { name: setName(direction, f), match: "any" as const } }, action: "accept" as const })),
        });
        // Anything else (a default route, a foreign prefix, another node's block) is rejected.
        await this.#bgp.setPolicyAssignment({ direction, policies: [name], defaultAction: "reject" });
      }
      this.#policyShape = shape;
      this.#log.info("BGP import/export policies set", { shape, import: allowed.map((m) => m.prefix), export: exported.map((m) => m.prefix) });
    }
    const allowedKey = JSON.stringify(allowed);
    if (this.#allowedKey !== undefined && this.#allowedKey !== allowedKey) {
      // gobgpd applies a changed policy only to routes that arrive later: re-run the routes
      // peers already sent (a new pool's blocks may have arrived just before the pool itself).
      for (const p of await this.#bgp.listPeers()) {
        if (p.state === "Established") await this.#bgp.resetPeer(p.address, { soft: "in" });
      }
      this.#log.info("pools changed; re-evaluated routes already received", { prefixes: allowed.map((m) => m.prefix) });
    }
    this.#allowedKey = allowedKey;
  }

  async #ignoreMissing(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (err) {
      if ((err as { reason?: string }).reason !== "not-found") this.#log.debug("cleanup step failed", { error: String(err) });
    }
  }

  async #applyPeers(desired: readonly DesiredPeer[]): Promise<{ peersAdded: number; peersRemoved: number }> {
    const current = new Map((await this.#bgp.listPeers()).map((p) => [p.address, p]));
    const wanted = new Map(desired.map((p) => [p.address, p]));
    let peersAdded = 0;
    let peersRemoved = 0;
    for (const [address, have] of current) {
      const want = wanted.get(address);
      if (want !== undefined && have.description.startsWith(`petrel ${peerFingerprint(want)} `)) continue;
      await this.#bgp.deletePeer(address);
      peersRemoved++;
      this.#log.info(want === undefined ? "BGP peer removed" : "BGP peer settings changed; re-adding it", { peer: address });
    }
    for (const [address, want] of wanted) {
      const have = current.get(address);
      if (have !== undefined && have.description.startsWith(`petrel ${peerFingerprint(want)} `)) continue;
      await this.#bgp.addPeer({ ...want, description: `petrel ${peerFingerprint(want)} ${want.kind} ${want.source}`.slice(0, 250), families: [familyOf(`${address}/${address.includes(":") ? 128 : 32}`)] });
      peersAdded++;
      this.#log.info("BGP peer added", { peer: address, asn: want.asn, type: want.kind, source: want.source });
    }
    return { peersAdded, peersRemoved };
  }

  async #applyPaths(desired: readonly PathInput[]): Promise<{ pathsAdded: number; pathsRemoved: number }> {
    const local = new Map<string, string>();
    for (const family of families) {
      for (const p of await this.#bgp.listPaths({ family, table: "global" })) {
        if (p.neighborIp === undefined && !p.withdrawal) local.set(formatCidr(parseCidr(p.prefix)), pathKey({ ...p, prefix: formatCidr(parseCidr(p.prefix)) }));
      }
    }
    let pathsAdded = 0;
    let pathsRemoved = 0;
    // Keyed by canonical prefix, as gobgpd reports its paths ("2001:db8:0::/112" is "2001:db8::/112").
    const wanted = new Map(desired.map((p) => [formatCidr(parseCidr(p.prefix)), p]));
    for (const [prefix, p] of wanted) {
      if (local.get(prefix) === pathKey({ ...p, prefix })) continue;
      await this.#bgp.addPath(p); // replaces an older local path of the same prefix
      pathsAdded++;
      this.#log.info("advertising", { prefix, nextHop: p.nextHop });
    }
    for (const prefix of local.keys()) {
      if (wanted.has(prefix)) continue;
      await this.#bgp.deletePath({ prefix });
      pathsRemoved++;
      this.#log.info("withdrawn", { prefix });
    }
    return { pathsAdded, pathsRemoved };
  }

  /** Prefixes this node currently advertises (its local paths in gobgpd). */
  async advertised(): Promise<string[]> {
    const out: string[] = [];
    for (const family of families) {
      for (const p of await this.#bgp.listPaths({ family, table: "global" })) if (p.neighborIp === undefined && !p.withdrawal) out.push(p.prefix);
    }
    return out;
  }
}
