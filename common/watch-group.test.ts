import { WatchGroup, type GroupedCache } from "./watch-group.ts";

class FakeCache implements GroupedCache {
  synced = false;
  restarts = 0;
  started = 0;
  stopped = 0;
  readonly #stop: () => void | Promise<void>;

  constructor(stop: (self: FakeCache) => void | Promise<void> = () => {}) {
    this.#stop = () => stop(this);
  }

  async start(): Promise<void> {
    this.started++;
  }

  stop(): void | Promise<void> {
    this.stopped++;
    return this.#stop();
  }
}

describe("WatchGroup", () => {
  it("starts and stops every cache, and is synced only once each has listed", async () => {
    const a = new FakeCache();
    const b = new FakeCache();
    const group = new WatchGroup([{ name: "Nodes", cache: a }, { name: "IPPools", cache: b }]);
    await group.start();
    expect([a.started, b.started]).toEqual([1, 1]);
    expect(group.synced()).toBe(false);
    expect(group.unsynced()).toEqual(["Nodes", "IPPools"]);
    a.synced = true;
    expect(group.unsynced()).toEqual(["IPPools"]);
    expect(group.synced()).toBe(false);
    b.synced = true;
    expect(group.synced()).toBe(true);
    expect(group.unsynced()).toEqual([]);
    await group.stop();
    expect([a.stopped, b.stopped]).toEqual([1, 1]);
  });

  it("stops synchronous caches before stop() returns and waits for asynchronous ones", async () => {
    let release: () => void = () => {};
    const slow = new FakeCache(() => new Promise<void>((resolve) => (release = resolve)));
    const quick = new FakeCache();
    const group = new WatchGroup([{ name: "slow", cache: slow }, { name: "quick", cache: quick }]);
    let done = false;
    const stopping = group.stop().then(() => (done = true));
    expect([slow.stopped, quick.stopped]).toEqual([1, 1]);
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await stopping;
    expect(done).toBe(true);
  });

  it("sums the caches' watch restarts", () => {
    const a = new FakeCache();
    const b = new FakeCache();
    a.restarts = 2;
    b.restarts = 3;
    expect(new WatchGroup([{ name: "a", cache: a }, { name: "b", cache: b }]).restarts).toBe(5);
  });
});
