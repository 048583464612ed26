/**
 * Leader election on a coordination.k8s.io Lease, with client-go's rules: a candidate takes the
 * lease only when its holder has not renewed it for a whole lease duration *as observed on the
 * candidate's own clock* (so clock skew between replicas does not matter), every write carries
 * the resourceVersion it read (two candidates can never both win), and a leader that cannot
 * renew within the renew deadline stops leading.
 */
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { LeaseRecord, LeaseStore } from "../ports.ts";

export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export const defaultElectionTiming: ElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface ElectionCallbacks {
  onStartedLeading(): void;
  /** Called once when leadership is lost (not on release()); the program should exit. */
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

/** A Lease's MicroTime: RFC 3339 with exactly six fractional digits, as the API server parses it. */
const iso = (ms: number) => new Date(ms).toISOString().replace(/Z$/, "000Z");

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class LeaseElector {
  readonly #store: LeaseStore;
  readonly #identity: string;
  readonly #timing: ElectionTiming;
  readonly #log: Logger;
  readonly #now: () => number;
  #observed: { record: string; at: number } | undefined;
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastLeader: string | undefined;

  constructor(store: LeaseStore, identity: string, timing: ElectionTiming, log: Logger, now: () => number = Date.now) {
    this.#store = store;
    this.#identity = identity;
    this.#timing = timing;
    this.#log = log;
    this.#now = now;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Runs until stop(): acquires, then renews; calls back on transitions. */
  run(callbacks: ElectionCallbacks): void {
    const tick = async () => {
      if (this.#stopped) return;
      let ok = false;
      try {
        // A request that hangs must not hold the leader past its renew deadline (client-go cuts
        // the attempt off the same way): give up on it after one retry period.
        ok = await withTimeout(this.tryAcquireOrRenew(callbacks), this.#timing.retryPeriodMs);
      } catch (err) {
        this.#log.warn("lease request failed", { error: errorMessage(err) });
      }
      if (this.#stopped) return;
      const now = this.#now();
      if (ok) this.#lastRenew = now;
      if (ok && !this.#leading) {
        this.#leading = true;
        this.#log.info("became leader", { identity: this.#identity });
        callbacks.onStartedLeading();
      } else if (!ok && this.#leading && now - this.#lastRenew > this.#timing.renewDeadlineMs) {
        this.#leading = false;
        this.#stopped = true;
        this.#log.error("lost the lease: could not renew within the renew deadline", { identity: this.#identity });
        callbacks.onStoppedLeading();
        return;
      }
      // Jitter keeps two candidates from hitting the lease in lock-step.
      const wait = this.#timing.retryPeriodMs * (this.#leading ? 1 : 1 + Math.random() * 0.2);
      this.#timer = setTimeout(() => void tick(), wait);
    };
    void tick();
  }

  /** One attempt; true when this candidate holds the lease afterwards. Exposed for tests. */
  async tryAcquireOrRenew(callbacks?: Pick<ElectionCallbacks, "onNewLeader">): Promise<boolean> {
    const now = this.#now();
    const current = await this.#store.get();
    const durationS = Math.ceil(this.#timing.leaseDurationMs / 1000);
    if (current === undefined) {
      const created = await this.#store.create({ holderIdentity: this.#identity, leaseDurationSeconds: durationS, acquireTime: iso(now), renewTime: iso(now), leaseTransitions: 0 });
      return created === "ok";
    }
    const fingerprint = `${current.holderIdentity ?? ""}|${current.renewTime ?? ""}|${current.resourceVersion ?? ""}`;
    if (this.#observed?.record !== fingerprint) this.#observed = { record: fingerprint, at: now };
    const holder = current.holderIdentity ?? "";
    if (holder !== "" && holder !== this.#lastLeader) {
      this.#lastLeader = holder;
      callbacks?.onNewLeader?.(holder);
    }
    const heldByOther = holder !== "" && holder !== this.#identity;
    const leaseMs = (current.leaseDurationSeconds ?? durationS) * 1000;
    if (heldByOther && this.#observed.at + leaseMs > now) return false;
    const record: LeaseRecord = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: durationS,
      acquireTime: holder === this.#identity ? current.acquireTime ?? iso(now) : iso(now),
      renewTime: iso(now),
      leaseTransitions: (current.leaseTransitions ?? 0) + (holder === this.#identity ? 0 : 1),
      ...(current.resourceVersion === undefined ? {} : { resourceVersion: current.resourceVersion }),
    };
    return (await this.#store.update(record)) === "ok";
  }

  /** Stops renewing; when leading, gives the lease up so a standby takes over at once. */
  async release(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const current = await this.#store.get();
      if (current?.holderIdentity !== this.#identity) return;
      const now = this.#now();
      const r = await this.#store.update({ ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: iso(now) });
      if (r === "ok") this.#log.info("released the lease", { identity: this.#identity });
      else this.#log.warn("the lease changed while releasing it; a standby takes over when it expires", { identity: this.#identity });
    } catch (err) {
      this.#log.warn("could not release the lease; a standby takes over when it expires", { error: errorMessage(err) });
    }
  }
}
