/**
 * What the agent needs from the outside (ports, declared here by their user), its settings, the
 * metrics it reports and the loops it triggers (main.ts wires all four).
 */
import type { IPAMBlock, PetrelNodeStatus } from "../../common/api/index.ts";
import type { Logger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import type { ClusterView } from "./cluster-view.ts";
import type { ForwardingReading } from "./forwarding.ts";
import type { PeerSample } from "./peer-sessions.ts";
import type { RouteEngineMetrics } from "./route-engine.ts";
import type { KernelPort } from "./route-plan.ts";
import type { RefusalReason } from "./route-trust.ts";

export interface AgentPorts {
  readonly cluster: { snapshot(): ClusterView; synced(): boolean; unsynced(): string[] };
  readonly bgp: GobgpClient;
  readonly kernel: KernelPort;
  readonly state: {
    writeBlocks(content: string): void;
    /** What blocks.json holds now (undefined when unreadable): a hand-edited file is rewritten. */
    readBlocks?(): string | undefined;
    allocated(): string[];
    /**
     * The same count, taken after every CNI ADD that may have read an older blocks.json has
     * finished (the plugin's locks, held exclusively): the count that acknowledges a drain.
     */
    allocatedAfterBarrier?(): Promise<string[]>;
  };
  /** Applies an nftables script (natOutgoing). */
  readonly nat: { apply(script: string): Promise<void> };
  /** Reads node-wide forwarding for these families and turns it on where it is off and can be. */
  readonly forwarding: { ensure(families: readonly (4 | 6)[]): Promise<ForwardingReading[]> };
  readonly kube: {
    patchNodeStatus(node: string, status: PetrelNodeStatus): Promise<boolean>;
    patchBlockStatus(block: string, status: NonNullable<IPAMBlock["status"]>): Promise<boolean>;
    secretValue(name: string, key: string): Promise<string | undefined>;
  };
  readonly log: Logger;
  readonly now?: () => number;
}

export interface AgentSettings {
  readonly nodeName: string;
  /** No route removals for this long after start or a gobgpd restart. */
  readonly routeSettleMs: number;
  /** Minimum time between two status writes of one object. */
  readonly statusIntervalMs: number;
  /** The node status is rewritten at least this often (heartbeat). */
  readonly heartbeatMs: number;
  /** How long a Node without an InternalIP keeps its last address. */
  readonly nodeAddressGraceMs: number;
  /**
   * Status passes check node forwarding at most this often (default 10 s). A status pass can run
   * every couple of seconds; where a node is a network namespace (tests, the demo) each check
   * spawns `ip netns exec … sysctl`, which was the largest part of an idle agent's CPU in
   * bench:routes (6 s of 36 s over a 6-minute run).
   */
  readonly forwardingCheckMs?: number;
  /** The received-routes audit lists a peer's Adj-RIB-In at most this often (default 5 s), once its UPDATE counter stands still. */
  readonly receivedAuditIntervalMs?: number;
}

export interface AgentMetrics extends RouteEngineMetrics {
  sessions(states: readonly string[]): void;
  kubeWrite(kind: "node-status" | "block-status"): void;
  /** A refusal counted, by reason and by the peer that sent it ("" when unknown). */
  refused(reason: RefusalReason, peer: string): void;
  /** The configured peers and their sessions, after every status pass. */
  peers(samples: readonly PeerSample[]): void;
  state(s: { held: boolean; settling: boolean; bestPaths: number; refusalsActive: number; cidrsIgnored: number }): void;
  forwarding(readings: readonly ForwardingReading[]): void;
  pass(kind: "config" | "route" | "full" | "status"): void;
}

/** The work the agent asks its loops for (main.ts wires them). */
export interface AgentTriggers {
  config(delayMs?: number): void;
  routes(delayMs?: number): void;
  full(delayMs?: number): void;
  status(delayMs?: number): void;
  /** The received-routes audit (received-audit.ts). */
  audit?(delayMs?: number): void;
}
