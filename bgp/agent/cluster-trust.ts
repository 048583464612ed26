/**
 * What route trust knows of the cluster, kept between passes: every block and its owner (from
 * the metadata watch, one block at a time), the bounds of what is imported and exported (pools,
 * service CIDRs), the trust inputs of the last config pass, and which owners' prefix sets changed
 * since gobgpd was last configured. Each change says what it affects, so the agent re-checks
 * only that. Pure.
 */
import { blockNodeLabel, blockPoolLabel, cidrOfBlockName } from "../../common/block-name.ts";
import { canonicalJson } from "../../common/canonical-json.ts";
import { formatCidr } from "../../common/cidr.ts";
import { BlockIndex } from "./block-index.ts";
import type { RouteBounds } from "./cidr-bounds.ts";
import { desiredPolicy, ownerSetName, type DesiredPolicy, type PolicyInputs } from "./import-policy.ts";
import { blockProblem, type TrustInputs } from "./route-trust.ts";

const noBounds: RouteBounds = { pools: [], poolsByName: new Map(), serviceCidrs: [], ignored: [] };

export class ClusterTrust {
  readonly #me: string;
  readonly #blocks = new BlockIndex(noBounds);
  #bounds: RouteBounds = noBounds;
  #boundsKey = "";
  #trust: TrustInputs | undefined;
  /** Owner prefix sets whose contents may have changed since the last gobgpd apply. */
  readonly #changedSets = new Set<string>();
  #allSetsChanged = true;

  constructor(me: string) {
    this.#me = me;
  }

  get bounds(): RouteBounds {
    return this.#bounds;
  }

  /** The inputs of the last config pass (undefined before the first). */
  get trust(): TrustInputs | undefined {
    return this.#trust;
  }

  /** Every block of a node, valid or not (to re-check its routes when its address changes). */
  prefixesOf(node: string): ReadonlySet<string> {
    return this.#blocks.prefixesOf(node);
  }

  /** A block appeared, changed or went; returns its prefix when that changed what trust knows. */
  blockEvent(type: "upsert" | "delete", name: string, labels: Readonly<Record<string, string>>): string | undefined {
    const cidr = cidrOfBlockName(name);
    if (cidr === undefined) return undefined;
    const prefix = formatCidr(cidr);
    const node = labels[blockNodeLabel];
    const affected = type === "delete" || node === undefined
      ? this.#blocks.remove(prefix)
      : this.#blocks.upsert(prefix, { node, pool: labels[blockPoolLabel] ?? "", cidr });
    if (affected.length === 0) return undefined;
    for (const owner of affected) this.#ownerChanged(owner);
    return prefix;
  }

  /** This pass's bounds; true when they changed (rare: every block and route is checked again). */
  setBounds(bounds: RouteBounds): boolean {
    const key = canonicalJson({ p: bounds.pools.map((p) => [p.name, formatCidr(p.cidr), p.blockSize]), s: bounds.serviceCidrs });
    this.#bounds = bounds;
    if (key === this.#boundsKey) return false;
    this.#boundsKey = key;
    for (const owner of this.#blocks.revalidate(bounds)) this.#ownerChanged(owner);
    this.#allSetsChanged = true;
    return true;
  }

  /**
   * This pass's trust inputs (`blocks` and `bounds` are filled in here); true when what widens
   * trust (learn-from peers, services, node addresses) changed, so every route is checked again.
   */
  setTrust(t: Omit<TrustInputs, "me" | "blocks" | "bounds">): boolean {
    const prev = this.#trust;
    this.#trust = { ...t, me: this.#me, blocks: this.#blocks.all, bounds: this.#bounds };
    if (prev === undefined) return false;
    const key = (x: Pick<TrustInputs, "learnFrom" | "services" | "nodeAddresses">) => canonicalJson([[...x.learnFrom].sort(), [...x.services].sort(), [...x.nodeAddresses].sort()]);
    return key(prev) !== key(t);
  }

  /** The import policy for the other nodes' valid blocks: O(owners) (import-policy.ts). */
  policy(inputs: Omit<PolicyInputs, "blocksByOwner">): DesiredPolicy {
    return desiredPolicy({ ...inputs, blocksByOwner: [...this.#blocks.validByOwner()].filter(([n]) => n !== this.#me) });
  }

  /** The prefix sets to look at in this gobgpd apply (undefined: all), and forgets them. */
  takeChangedSets(): ReadonlySet<string> | undefined {
    const changed = this.#allSetsChanged ? undefined : new Set(this.#changedSets);
    this.#changedSets.clear();
    this.#allSetsChanged = false;
    return changed;
  }

  /** Every set is looked at in the next apply (gobgpd restarted, an apply failed, a full pass). */
  allSetsChanged(): void {
    this.#allSetsChanged = true;
  }

  /** Block validity as the agent sees it ("unknown" for a block it does not know). */
  blockProblem(prefix: string): string | undefined {
    const b = this.#blocks.all.get(prefix);
    return b === undefined ? "unknown" : blockProblem(b, this.#bounds);
  }

  #ownerChanged(owner: string): void {
    this.#changedSets.add(ownerSetName(owner, "ipv4-unicast")).add(ownerSetName(owner, "ipv6-unicast"));
  }
}
