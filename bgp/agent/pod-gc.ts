/**
 * The agent's IPAM check and pod-address GC (DESIGN.md flow 5), one pass at a time: read the
 * node's records, Pods and pod routes, export the inconsistency counts, and free the records
 * that ipam-consistency.ts finds due. Each release happens under the CNI plugin's locks, after
 * re-reading the record: one that changed since the plan (an ADD reused the address meanwhile)
 * is left alone. Every release is logged, counted and reported as an Event on the pod.
 */
import type { DecodedRecord } from "../../common/allocation-record.ts";
import { formatAddress } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { LoopPassResult } from "../../common/reconcile-loop.ts";
import { checkConsistency, recordKey, type InconsistencyKind, type NodePod, type RecordSeen } from "./ipam-consistency.ts";

export interface PodGcPorts {
  /** The Pods bound to this node; undefined until the watch has synced. */
  pods(): readonly NodePod[] | undefined;
  /** The node's blocks (draining ones too) and the pools' CIDRs. */
  blocks(): readonly string[];
  pools(): readonly string[];
  records(): readonly RecordSeen[];
  /** Destinations of the pod routes (the plugin's route protocol) in the node's kernel. */
  podRoutes(): Promise<readonly string[]>;
  /** Runs `fn` while no CNI ADD, DEL or GC runs on the node. */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** Removes the record's host veth (missing is fine) and then the record. */
  release(record: DecodedRecord): Promise<void>;
  podEvent(pod: { namespace: string; name: string; uid?: string }, reason: string, message: string): Promise<void>;
  /** Destroys the veth pairs CNI DEL retired once they are due (bgp/agent/host/retired-pairs.ts); true when it did. */
  reapRetired?(): Promise<boolean>;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface PodGcMetrics {
  inconsistencies(counts: Readonly<Record<InconsistencyKind, number | undefined>>): void;
  released(n: number): void;
}

export class PodGc {
  readonly #p: PodGcPorts;
  readonly #graceMs: number;
  readonly #m: PodGcMetrics | undefined;
  #since: ReadonlyMap<string, number> = new Map();
  /** Releases made, for tests and the soak's report. */
  releasedTotal = 0;

  constructor(ports: PodGcPorts, graceMs: number, metrics?: PodGcMetrics) {
    this.#p = ports;
    this.#graceMs = graceMs;
    this.#m = metrics;
  }

  async pass(): Promise<LoopPassResult> {
    const { log } = this.#p;
    const now = (this.#p.now ?? Date.now)();
    if (this.#p.reapRetired !== undefined) {
      try {
        if (await this.#p.reapRetired()) log.info("destroyed the veth pairs CNI DEL retired (link group 89)");
      } catch (err) {
        log.warn("cannot destroy the veth pairs CNI DEL retired; the next pass retries", { error: errorMessage(err) });
      }
    }
    let podRoutes: readonly string[] | undefined;
    try {
      podRoutes = await this.#p.podRoutes();
    } catch (err) {
      log.warn("cannot list the node's pod routes; route checks skipped this pass", { error: errorMessage(err) });
    }
    const result = checkConsistency({
      records: this.#p.records(), pods: this.#p.pods(), blocks: this.#p.blocks(), pools: this.#p.pools(),
      podRoutes, since: this.#since, now, graceMs: this.#graceMs,
    });
    this.#since = result.since;
    this.#m?.inconsistencies(result.counts);
    let clean = true;
    if (result.releases.length > 0) {
      try {
        await this.#p.locked(async () => {
          // Under the locks, only what is still exactly the record the plan saw.
          const current = new Map(this.#p.records().flatMap((r) => (r.record === undefined ? [] : [[recordKey(r.record), r.record] as const])));
          for (const rel of result.releases) {
            const record = current.get(rel.key);
            if (record === undefined) continue;
            await this.#p.release(record);
            this.releasedTotal++;
            this.#m?.released(1);
            const pod = record.pod;
            const who = pod === undefined ? "an unknown pod" : `pod ${pod.namespace}/${pod.name}${pod.uid === undefined ? "" : ` (uid ${pod.uid})`}`;
            const message = `Petrel freed ${formatAddress(record.address)} of ${who}: no such pod has been bound to this node for ${Math.round(rel.missingForMs / 1000)} s, and the container runtime never released it (no CNI DEL)`;
            log.warn("freed the address of a pod that is gone", {
              address: formatAddress(record.address), container: record.containerId, pod: pod === undefined ? undefined : `${pod.namespace}/${pod.name}`, missingForMs: rel.missingForMs,
            });
            if (pod !== undefined) {
              await this.#p.podEvent(pod, "PetrelAddressReleased", message).catch((err: unknown) =>
                log.debug("no Event for the freed address (its namespace may be gone)", { error: errorMessage(err) }));
            }
          }
        });
      } catch (err) {
        clean = false;
        log.warn("freeing leaked addresses failed; the next pass retries", { error: errorMessage(err) });
      }
    }
    return { clean, ...(result.wakeAfterMs === undefined ? {} : { wakeAfterMs: result.wakeAfterMs }) };
  }
}
