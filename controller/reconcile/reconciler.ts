/**
 * One reconcile pass: snapshot the caches, lay the controller's unconfirmed writes over them,
 * plan, and carry out the plan with bounded concurrency. A pass is "clean" when every write
 * succeeded; the loop (common/reconcile-loop.ts) decides when passes run.
 */
import type { IPAMBlock, PetrelNode } from "../../common/api/index.ts";
import { API_VERSION } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import { blockNodeLabel, blockPoolLabel, type Action } from "../core/cluster-state.ts";
import { plan, type PlanSettings, type WaitingNode } from "../core/plan.ts";
import type { SinceMap } from "../core/since.ts";
import type { ClusterCache, ClusterWriter, WriteResult } from "../ports.ts";
import { OwnWrites } from "./own-writes.ts";

export interface ReconcilerMetrics {
  /** One carried-out action: its kind and outcome ("done", "exists", "missing", "error"). */
  action(kind: Action["kind"], outcome: string): void;
  pass(seconds: number, clean: boolean): void;
  pendingWrites(n: number): void;
  /** After each pass: the nodes that need a block and found none free (the plan's `waiting`). */
  waitingForBlocks(waiting: readonly WaitingNode[]): void;
}

export interface PassResult {
  readonly clean: boolean;
  readonly actions: number;
  readonly failed: number;
  /** Run again after this long (a grace period or status rate limit ends), if set. */
  readonly wakeAfterMs: number | undefined;
  /** Something changed that the same pass could not finish (e.g. a block name was taken). */
  readonly again: boolean;
}

export interface ReconcilerDeps {
  readonly cache: ClusterCache;
  readonly writer: ClusterWriter;
  readonly log: Logger;
  readonly settings: PlanSettings;
  readonly metrics?: ReconcilerMetrics;
  readonly now?: () => number;
  /** Writes in flight at once. */
  readonly concurrency?: number;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items].reverse();
  const worker = async () => {
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function drafted(block: { name: string; cidr: string; pool: string; node: string }): IPAMBlock {
  return {
    apiVersion: API_VERSION,
    kind: "IPAMBlock",
    metadata: { name: block.name, labels: { [blockNodeLabel]: block.node, [blockPoolLabel]: block.pool }, generation: 1 },
    spec: { cidr: block.cidr, pool: block.pool, node: block.node },
  };
}

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #own = new OwnWrites();
  readonly #lastStatusWrite = new Map<string, number>();
  /** Pool → resourceVersion a finalizer write was based on: the same write is not repeated. */
  readonly #finalizerWrites = new Map<string, string | undefined>();
  #since: SinceMap = new Map();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  async runPass(): Promise<PassResult> {
    const { cache, settings, log, metrics } = this.#deps;
    const now = this.#deps.now ?? Date.now;
    const started = performance.now();
    const state = this.#own.apply(cache.snapshot(), now());
    const p = plan({ state, since: this.#since, lastStatusWrite: this.#lastStatusWrite, now: now(), settings });
    this.#since = p.since;
    let failed = 0;
    let again = false;
    // Blocks and PetrelNodes first, so that status and Events describe the new state.
    const ordered = [...p.actions].sort((a, b) => rank(a) - rank(b));
    await forEachLimit(ordered, this.#deps.concurrency ?? 16, async (action) => {
      try {
        const result = await this.#carryOut(action, now());
        metrics?.action(action.kind, result.outcome);
        if (action.kind === "createBlock" && result.outcome === "exists") again = true;
      } catch (err) {
        failed++;
        metrics?.action(action.kind, "error");
        log.warn("write failed; the next pass retries it", { action: action.kind, ...subjectOf(action), error: errorMessage(err) });
      }
    });
    const clean = failed === 0;
    metrics?.pass((performance.now() - started) / 1000, clean);
    metrics?.pendingWrites(this.#own.pending);
    metrics?.waitingForBlocks(p.waiting);
    return { clean, actions: p.actions.length, failed, wakeAfterMs: p.wakeAfterMs, again };
  }

  async #carryOut(action: Action, now: number): Promise<WriteResult<unknown>> {
    const { writer, log } = this.#deps;
    switch (action.kind) {
      case "createPetrelNode": {
        const r = await writer.createPetrelNode(action.node);
        const obj = r.outcome === "done" ? r.object : r.outcome === "exists" ? r.existing : undefined;
        const pn: PetrelNode = obj ?? { apiVersion: API_VERSION, kind: "PetrelNode", metadata: { name: action.node.name }, spec: {} };
        this.#own.petrelNodes.created(pn, now);
        if (r.outcome === "done") log.info("created PetrelNode", { node: action.node.name });
        return r;
      }
      case "deletePetrelNode": {
        const r = await writer.deletePetrelNode(action.name, action.uid);
        this.#own.petrelNodes.deleted(action.name, action.uid, now);
        log.info("deleted PetrelNode", { node: action.name, reason: action.reason });
        return r;
      }
      case "createBlock": {
        const r = await writer.createBlock(action.block);
        if (r.outcome === "done") {
          this.#own.blocks.created(r.object ?? drafted(action.block), now);
          log.info("created block", { node: action.block.node, pool: action.block.pool, prefix: action.block.cidr, reason: action.reason });
        } else if (r.outcome === "exists") {
          // Someone else (a racing controller) created that block first: take what it holds.
          if (r.existing !== undefined) this.#own.blocks.created(r.existing, now);
          log.info("block already exists; planning again", { node: action.block.node, prefix: action.block.cidr, owner: r.existing?.spec.node });
        }
        return r;
      }
      case "drainBlock": {
        const r = await writer.drainBlock(action.name);
        if (r.outcome === "done") {
          const updated = r.object;
          this.#own.blocks.patched(action.name, (b) => updated ?? { ...b, metadata: { ...b.metadata, generation: (b.metadata.generation ?? 1) + 1 }, spec: { ...b.spec, draining: true } }, now);
          log.info("draining block", { node: action.node, block: action.name, reason: action.reason });
        }
        return r;
      }
      case "deleteBlock": {
        if (action.abandoned === true) {
          const marked = await writer.abandonBlock(action.name, action.uid, action.reason);
          if (marked.outcome === "missing") return marked;
          log.warn("abandoning block", { node: action.node, block: action.name, reason: action.reason });
        }
        const r = await writer.deleteBlock(action.name, action.uid);
        this.#own.blocks.deleted(action.name, action.uid, now);
        if (r.outcome === "done") log.info("released block", { node: action.node, block: action.name, reason: action.reason });
        else log.info("block already gone or re-created; nothing deleted", { node: action.node, block: action.name });
        return r;
      }
      case "addPoolFinalizer":
      case "removePoolFinalizer": {
        const key = `${action.kind}/${action.pool}`;
        if (this.#finalizerWrites.has(key) && this.#finalizerWrites.get(key) === action.resourceVersion) return { outcome: "done" };
        const r = await writer.setPoolFinalizers(action);
        this.#finalizerWrites.set(key, action.resourceVersion);
        return r;
      }
      case "updatePoolStatus": {
        const r = await writer.updatePoolStatus(action.pool, action.status);
        this.#lastStatusWrite.set(action.pool, now);
        return r;
      }
      case "event":
        log.info("event", { pool: action.subject.name, type: action.type, reason: action.reason, message: action.message });
        return writer.recordEvent(action.subject, action.type, action.reason, action.message);
    }
  }
}

function rank(a: Action): number {
  return a.kind === "updatePoolStatus" ? 1 : a.kind === "event" ? 2 : 0;
}

function subjectOf(a: Action): Record<string, string> {
  switch (a.kind) {
    case "createPetrelNode":
      return { node: a.node.name };
    case "createBlock":
      return { node: a.block.node, prefix: a.block.cidr };
    case "drainBlock":
    case "deleteBlock":
      return { node: a.node, block: a.name };
    case "deletePetrelNode":
      return { node: a.name };
    case "event":
      return { pool: a.subject.name };
    default:
      return { pool: a.pool };
  }
}
