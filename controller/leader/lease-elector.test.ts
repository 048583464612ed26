import { TransientError } from "../../common/errors.ts";
import { silentLogger } from "../../common/logger.ts";
import type { LeaseRecord, LeaseStore } from "../ports.ts";
import { LeaseElector, type ElectionCallbacks, type ElectionTiming } from "./lease-elector.ts";

const timing: ElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * A Lease in memory with the API server's optimistic concurrency: every write bumps the
 * resourceVersion; create fails when the lease exists, update when the version is stale. Reads
 * are taken when the call is made, so two concurrent candidates can read the same version.
 */
class MemoryLeaseStore implements LeaseStore {
  #record: LeaseRecord | undefined;
  #version = 0;
  writes = 0;
  /** "throw": every call fails; "hang": every call never answers. */
  mode: "ok" | "throw" | "hang" = "ok";

  async #gate(): Promise<void> {
    if (this.mode === "hang") await new Promise<never>(() => {});
    if (this.mode === "throw") throw new TransientError("the API server is unavailable");
    await Promise.resolve();
  }
  get lease(): LeaseRecord | undefined {
    return this.#record;
  }
  async get(): Promise<LeaseRecord | undefined> {
    const snapshot = this.#record === undefined ? undefined : { ...this.#record, resourceVersion: String(this.#version) };
    await this.#gate();
    return snapshot;
  }
  async create(record: LeaseRecord): Promise<"ok" | "conflict"> {
    await this.#gate();
    if (this.#record !== undefined) return "conflict";
    return this.#write(record);
  }
  async update(record: LeaseRecord): Promise<"ok" | "conflict"> {
    await this.#gate();
    if (this.#record === undefined || record.resourceVersion !== String(this.#version)) return "conflict";
    return this.#write(record);
  }
  #write(record: LeaseRecord): "ok" {
    this.#record = Object.fromEntries(Object.entries(record).filter(([k]) => k !== "resourceVersion"));
    this.#version++;
    this.writes++;
    return "ok";
  }
}

/** An elector with its own hand-driven clock. */
function candidate(store: LeaseStore, identity: string, startAt = 0) {
  const clock = { now: startAt };
  const elector = new LeaseElector(store, identity, timing, silentLogger, () => clock.now);
  return { clock, elector };
}

function callbacks() {
  const log: string[] = [];
  const cb: ElectionCallbacks = {
    onStartedLeading: () => void log.push("started"),
    onStoppedLeading: () => void log.push("stopped"),
    onNewLeader: (id) => void log.push(`leader ${id}`),
  };
  return { log, cb };
}

describe("LeaseElector.tryAcquireOrRenew", () => {
  it("lets exactly one of two candidates racing for a missing lease win", async () => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    const results = await Promise.all([a.elector.tryAcquireOrRenew(), b.elector.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(store.lease?.holderIdentity).toBe(results[0] === true ? "a" : "b");
  });

  it("lets exactly one of two candidates racing for an expired lease win", async () => {
    const store = new MemoryLeaseStore();
    await store.create({ holderIdentity: "crashed", leaseDurationSeconds: 15, renewTime: "2026-01-01T00:00:00.000000Z" });
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    expect(await a.elector.tryAcquireOrRenew()).toBe(false);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    a.clock.now += 15_000;
    b.clock.now += 15_000;
    const results = await Promise.all([a.elector.tryAcquireOrRenew(), b.elector.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(store.lease).toMatchObject({ holderIdentity: results[0] === true ? "a" : "b", leaseTransitions: 1 });
  });

  it("writes a fresh lease with MicroTime timestamps", async () => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a", Date.parse("2026-03-01T12:00:00.123Z"));
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(store.lease).toEqual({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: "2026-03-01T12:00:00.123000Z",
      renewTime: "2026-03-01T12:00:00.123000Z",
      leaseTransitions: 0,
    });
  });

  it("renews: a new renewTime, the same acquireTime and transition count", async () => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a", Date.parse("2026-03-01T12:00:00Z"));
    await a.elector.tryAcquireOrRenew();
    a.clock.now += 2000;
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(store.lease).toMatchObject({ acquireTime: "2026-03-01T12:00:00.000000Z", renewTime: "2026-03-01T12:00:02.000000Z", leaseTransitions: 0 });
  });

  it.each([
    ["far ahead of", 10 * 365 * 86_400_000],
    ["far behind", -10 * 365 * 86_400_000],
  ])("a standby whose clock is %s the leader's takes over exactly one lease duration after it first saw the last renewal", async (_name, skew) => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a", Date.parse("2026-03-01T12:00:00Z"));
    const b = candidate(store, "b", Date.parse("2026-03-01T12:00:00Z") + skew);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    // a stops renewing (it crashed); b keeps trying on its own clock.
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    b.clock.now += 14_999;
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    b.clock.now += 1;
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect(store.lease).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("never lets the standby take over while the leader keeps renewing", async () => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a");
    const b = candidate(store, "b", 5_000_000);
    await a.elector.tryAcquireOrRenew();
    for (let i = 0; i < 30; i++) {
      a.clock.now += 2000;
      b.clock.now += 2000;
      expect(await b.elector.tryAcquireOrRenew()).toBe(false);
      expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    }
    expect(store.lease?.holderIdentity).toBe("a");
  });

  it("tells the standby who leads, once per new leader", async () => {
    const store = new MemoryLeaseStore();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    const { log, cb } = callbacks();
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew(cb);
    a.clock.now += 2000;
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew(cb);
    expect(log).toEqual(["leader a"]);
  });
});

describe("LeaseElector.run", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const realClockCandidate = (store: LeaseStore, identity: string) => new LeaseElector(store, identity, timing, silentLogger, () => Date.now());

  it("starts leading on the first successful attempt and keeps renewing every retry period", async () => {
    const store = new MemoryLeaseStore();
    const a = realClockCandidate(store, "a");
    const { log, cb } = callbacks();
    a.run(cb);
    await jest.advanceTimersByTimeAsync(0);
    expect(a.leading).toBe(true);
    expect(log).toEqual(["started"]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(store.writes).toBe(6);
    await a.release();
  });

  it("stops leading (once) when renewals fail for longer than the renew deadline", async () => {
    const store = new MemoryLeaseStore();
    const a = realClockCandidate(store, "a");
    const { log, cb } = callbacks();
    a.run(cb);
    await jest.advanceTimersByTimeAsync(0);
    store.mode = "throw";
    // Attempts at 2 s .. 10 s fail, but 10 s since the last renewal is not past the deadline.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(log).toEqual(["started"]);
    expect(a.leading).toBe(true);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(log).toEqual(["started", "stopped"]);
    expect(a.leading).toBe(false);
    store.mode = "ok";
    const writes = store.writes;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual(["started", "stopped"]);
    expect(store.writes).toBe(writes);
  });

  it("stops leading when another candidate holds the lease past the renew deadline", async () => {
    const store = new MemoryLeaseStore();
    const a = realClockCandidate(store, "a");
    const { log, cb } = callbacks();
    a.run(cb);
    await jest.advanceTimersByTimeAsync(0);
    // Someone overwrites the lease (e.g. after a partition); a's renewals now see another holder.
    const current = await store.get();
    await store.update({ ...current, holderIdentity: "intruder" });
    await jest.advanceTimersByTimeAsync(12_000);
    expect(log).toContain("stopped");
  });

  it("release() hands the lease over: the standby takes over at once, and no onStoppedLeading", async () => {
    const store = new MemoryLeaseStore();
    const a = realClockCandidate(store, "a");
    const b = candidate(store, "b", 1_000_000);
    const { log, cb } = callbacks();
    a.run(cb);
    await jest.advanceTimersByTimeAsync(0);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    await a.release();
    expect(a.leading).toBe(false);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.holderIdentity).toBe("b");
    const writes = store.writes;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(store.writes).toBe(writes);
    expect(log).toEqual(["started"]);
  });

  // Regression (was a bug, fixed): the renew deadline is only checked after an attempt returns. A renewal that hangs
  // (API server unreachable, no request timeout) keeps the leader "leading" indefinitely, while
  // a standby takes the lease after 15 s: two active controllers. client-go bounds the renewal
  // with the renew deadline (context timeout), so the leader stops at 10 s.
  test("stops leading by the renew deadline even when a renewal hangs", async () => {
    const store = new MemoryLeaseStore();
    const a = realClockCandidate(store, "a");
    const { log, cb } = callbacks();
    a.run(cb);
    await jest.advanceTimersByTimeAsync(0);
    store.mode = "hang";
    await jest.advanceTimersByTimeAsync(timing.leaseDurationMs);
    expect(log).toEqual(["started", "stopped"]);
    expect(a.leading).toBe(false);
  });
});
