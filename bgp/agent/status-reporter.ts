/**
 * The agent's status writes, on their own loop (DESIGN.md: the agent owns its PetrelNode.status
 * and its IPAMBlocks' status): they never trigger route work, and route work triggers them only
 * through `mark()`. A significant change is written soon (at most one write per object per
 * --status-interval); counters (prefixes, routes) are refreshed with it or every
 * `countsRefreshMs`; the heartbeat at least every --heartbeat-period. gobgpd's sessions are read
 * (one ListPeer) only when a session event arrived or a refresh is due.
 */
import type { IPAMBlock, PetrelNode, PetrelNodeStatus } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { LoopPassResult } from "../../common/reconcile-loop.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import type { PeerStatus } from "../gobgp/types.ts";
import type { IgnoredCidr } from "./cidr-bounds.ts";
import type { DesiredPeer } from "./desired-bgp.ts";
import type { ForwardingReading } from "./forwarding.ts";
import type { ActiveRefusal } from "./refusal-log.ts";
import { blockStatus, blockStatusChanged, countAllocations, petrelNodeStatus, statusDiff } from "./status-plan.ts";

/** What the status is made of, as the agent knows it now. */
export interface StatusSource {
  readonly petrelNode: PetrelNode | undefined;
  readonly blocks: readonly IPAMBlock[];
  readonly peers: readonly DesiredPeer[];
  readonly advertised: readonly string[];
  readonly notReady: { reason: string; message: string } | undefined;
  readonly routes: { installed: number; blackholes: number; refused: ReadonlyMap<string, number> };
  readonly refusals: readonly ActiveRefusal[];
  readonly ignoredCidrs: readonly IgnoredCidr[];
  /** The last forwarding check (no IPForwarding condition without one). */
  readonly forwarding?: readonly ForwardingReading[];
  /** gobgpd is configured (sessions can be read). */
  readonly bgpUp: boolean;
}

export interface StatusPorts {
  readonly bgp: Pick<GobgpClient, "listPeers">;
  readonly kube: {
    patchNodeStatus(node: string, status: PetrelNodeStatus): Promise<boolean>;
    patchBlockStatus(block: string, status: NonNullable<IPAMBlock["status"]>): Promise<boolean>;
  };
  readonly allocated: () => string[];
  /**
   * The same count, taken behind the CNI plugin's locks (held exclusively): no ADD that read an
   * older blocks.json is still running. The count that acknowledges a drain.
   */
  readonly allocatedAfterBarrier?: () => Promise<string[]>;
  readonly log: Logger;
  readonly now: () => number;
  readonly onWrite?: (kind: "node-status" | "block-status") => void;
  readonly onSessions?: (states: readonly string[]) => void;
  /** After every pass: the configured peers and gobgpd's sessions as last read (none while BGP is not up). */
  readonly onPeers?: (peers: readonly DesiredPeer[], sessions: readonly PeerStatus[]) => void;
}

export interface StatusSettings {
  readonly nodeName: string;
  readonly statusIntervalMs: number;
  readonly heartbeatMs: number;
  readonly countsRefreshMs: number;
}

export class StatusReporter {
  readonly #p: StatusPorts;
  readonly #s: StatusSettings;
  #sessions: PeerStatus[] = [];
  #sessionsDirty = true;
  #sessionsReadAt = 0;
  #lastWrite = 0;
  #lastWritten: PetrelNodeStatus | undefined;
  readonly #lastBlockWrite = new Map<string, number>();
  /** What was last written of each block's status: the agent's view of its blocks has no status updates. */
  readonly #lastBlockStatus = new Map<string, NonNullable<IPAMBlock["status"]>>();

  constructor(ports: StatusPorts, settings: StatusSettings) {
    this.#p = ports;
    this.#s = settings;
  }

  /** A session changed state: read gobgpd's sessions on the next pass. */
  sessionsChanged(): void {
    this.#sessionsDirty = true;
  }

  async pass(source: StatusSource): Promise<LoopPassResult> {
    const now = this.#p.now();
    const interval = this.#s.statusIntervalMs;
    let wake = Math.max(1000, this.#s.heartbeatMs - (now - this.#lastWrite));
    const soonest = (ms: number) => (wake = Math.min(wake, Math.max(1, ms)));
    let clean = true;
    // By uid too: a block deleted and made again under the same name starts without a status.
    const key = (b: IPAMBlock) => `${b.metadata.name}/${b.metadata.uid ?? ""}`;
    const present = new Set(source.blocks.map(key));
    for (const k of this.#lastBlockStatus.keys()) if (!present.has(k)) this.#lastBlockStatus.delete(k);
    const current = (b: IPAMBlock) => this.#lastBlockStatus.get(key(b)) ?? b.status;
    // A drain is acknowledged (observedGeneration) with a count taken behind the plugin's locks;
    // the agent hands over only blocks that blocks.json already reflects, so no ADD that read the
    // old file can still be about to allocate from a draining block.
    const acking = source.blocks.some((b) => current(b)?.observedGeneration !== (b.metadata.generation ?? 1));
    let names: string[];
    try {
      names = acking && this.#p.allocatedAfterBarrier !== undefined ? await this.#p.allocatedAfterBarrier() : this.#p.allocated();
    } catch (err) {
      this.#p.log.warn("cannot count the node's addresses behind the CNI plugin's locks; the drain is acknowledged later", { error: errorMessage(err) });
      return { clean: false, wakeAfterMs: Math.max(1000, interval) };
    }
    const allocations = countAllocations(names, source.blocks.map((b) => b.spec.cidr));
    for (const b of source.blocks) {
      const next = blockStatus(b, allocations.get(b.spec.cidr) ?? 0, new Date(now));
      if (!blockStatusChanged(current(b), next)) continue;
      const last = this.#lastBlockWrite.get(b.metadata.name) ?? 0;
      if (now - last < interval) {
        soonest(interval - (now - last));
        continue;
      }
      try {
        if (await this.#p.kube.patchBlockStatus(b.metadata.name, next)) this.#lastBlockStatus.set(key(b), next);
        this.#lastBlockWrite.set(b.metadata.name, now);
        this.#p.onWrite?.("block-status");
      } catch (err) {
        clean = false;
        this.#p.log.warn("block status write failed; retrying", { block: b.metadata.name, error: errorMessage(err) });
      }
    }
    const refreshDue = now - this.#sessionsReadAt >= this.#s.countsRefreshMs;
    if (!source.bgpUp) {
      this.#sessions = [];
    } else if (this.#sessionsDirty || refreshDue) {
      try {
        this.#sessions = await this.#p.bgp.listPeers();
        this.#sessionsDirty = false;
        this.#sessionsReadAt = now;
        this.#p.onSessions?.(this.#sessions.map((s) => s.state));
      } catch (err) {
        this.#p.log.debug("cannot read gobgpd's sessions for the status", { error: errorMessage(err) });
      }
    }
    this.#p.onPeers?.(source.peers, this.#sessions);
    const pn = source.petrelNode;
    if (pn === undefined) return { clean, wakeAfterMs: wake }; // the controller creates it
    const previous = this.#lastWritten ?? pn.status;
    const next = petrelNodeStatus({
      peers: source.peers, sessions: this.#sessions, advertised: source.advertised, blocks: source.blocks, allocations,
      notReady: source.notReady, previous, now: new Date(now), routes: source.routes, refusals: source.refusals, ignoredCidrs: source.ignoredCidrs,
      ...(source.forwarding === undefined ? {} : { forwarding: source.forwarding }),
    });
    const diff = statusDiff(previous, next);
    const since = now - this.#lastWrite;
    const due = diff === "significant" || (diff === "counts" && since >= this.#s.countsRefreshMs) || since >= this.#s.heartbeatMs;
    if (due) {
      if (since < interval) {
        soonest(interval - since);
      } else {
        try {
          if (await this.#p.kube.patchNodeStatus(this.#s.nodeName, next)) {
            this.#lastWrite = now;
            this.#lastWritten = next;
            this.#p.onWrite?.("node-status");
            wake = Math.max(1000, this.#s.heartbeatMs);
          }
        } catch (err) {
          clean = false;
          this.#p.log.warn("status write failed; retrying", { error: errorMessage(err) });
        }
      }
    } else if (diff === "counts") {
      soonest(this.#s.countsRefreshMs - since);
    }
    return { clean, wakeAfterMs: wake };
  }
}
