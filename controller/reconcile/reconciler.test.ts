import type { IPAMBlock, IPPoolStatus, PetrelNode } from "../../common/api/index.ts";
import { TransientError } from "../../common/errors.ts";
import { silentLogger } from "../../common/logger.ts";
import type { Action, ClusterState, EventSubject, FinalizerAction, NewBlock, NodeInfo } from "../core/cluster-state.ts";
import { block, cluster, fail, minute, node, petrelNode, pool, t0, testSettings } from "../core/testing/fixtures.ts";
import type { ClusterCache, ClusterWriter, WriteResult } from "../ports.ts";
import { Reconciler, type ReconcilerMetrics } from "./reconciler.ts";

/** A cache whose snapshot the test sets by hand (it does not see the writer's writes). */
class FakeCache implements ClusterCache {
  state: ClusterState;
  constructor(state: ClusterState) {
    this.state = state;
  }
  snapshot(): ClusterState {
    return this.state;
  }
  synced(): boolean {
    return true;
  }
}

interface Call {
  readonly method: keyof ClusterWriter;
  readonly subject: string;
}

/** Records every write; answers "done" unless a test replaces an answer or makes a method throw. */
class FakeWriter implements ClusterWriter {
  readonly calls: Call[] = [];
  readonly failing = new Set<keyof ClusterWriter>();
  readonly statuses: IPPoolStatus[] = [];
  createBlockAnswer: (b: NewBlock) => WriteResult<IPAMBlock> = () => ({ outcome: "done" });

  #record(method: keyof ClusterWriter, subject: string): void {
    this.calls.push({ method, subject });
    if (this.failing.has(method)) throw new TransientError(`${method} ${subject}: the API server is unavailable`);
  }
  subjects(method: keyof ClusterWriter): string[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.subject);
  }

  async createPetrelNode(n: NodeInfo): Promise<WriteResult<PetrelNode>> {
    this.#record("createPetrelNode", n.name);
    return { outcome: "done" };
  }
  async deletePetrelNode(name: string): Promise<WriteResult> {
    this.#record("deletePetrelNode", name);
    return { outcome: "done" };
  }
  async createBlock(b: NewBlock): Promise<WriteResult<IPAMBlock>> {
    this.#record("createBlock", `${b.node} ${b.cidr}`);
    return this.createBlockAnswer(b);
  }
  async drainBlock(name: string): Promise<WriteResult<IPAMBlock>> {
    this.#record("drainBlock", name);
    return { outcome: "done" };
  }
  async deleteBlock(name: string): Promise<WriteResult> {
    this.#record("deleteBlock", name);
    return { outcome: "done" };
  }
  async abandonBlock(name: string): Promise<WriteResult> {
    this.#record("abandonBlock", name);
    return { outcome: "done" };
  }
  async setPoolFinalizers(change: FinalizerAction): Promise<WriteResult> {
    this.#record("setPoolFinalizers", `${change.pool} ${change.finalizers.join(",")}`);
    return { outcome: "done" };
  }
  async updatePoolStatus(poolName: string, status: IPPoolStatus): Promise<WriteResult> {
    this.statuses.push(status);
    this.#record("updatePoolStatus", poolName);
    return { outcome: "done" };
  }
  async recordEvent(subject: EventSubject, type: "Normal" | "Warning", reason: string): Promise<WriteResult> {
    this.#record("recordEvent", `${subject.name} ${type} ${reason}`);
    return { outcome: "done" };
  }
}

function setup(state: ClusterState, o: { concurrency?: number; metrics?: ReconcilerMetrics } = {}) {
  const cache = new FakeCache(state);
  const writer = new FakeWriter();
  const clock = { now: t0 };
  const reconciler = new Reconciler({
    cache,
    writer,
    log: silentLogger,
    settings: testSettings,
    now: () => clock.now,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
  });
  return { cache, writer, clock, reconciler };
}

// pool-a (198.18.0.0/24, four /26 blocks) and node-a, which has neither PetrelNode nor block.
const newNode = () => cluster({ nodes: [node("node-a")], pools: [pool("pool-a", "198.18.0.0/24")], petrelNodes: [] });

describe("Reconciler", () => {
  it("carries out what the plan says and reports a clean pass", async () => {
    const { writer, reconciler } = setup(newNode());
    const r = await reconciler.runPass();
    expect(writer.subjects("createPetrelNode")).toEqual(["node-a"]);
    expect(writer.subjects("createBlock")).toEqual([expect.stringMatching(/^node-a 198\.18\.0\.\d+\/26$/)]);
    expect(writer.subjects("updatePoolStatus")).toEqual(["pool-a"]);
    expect(writer.statuses[0]).toMatchObject({ blockSize: 26, observedGeneration: 1 });
    expect(r).toEqual({ clean: true, actions: 3, failed: 0, wakeAfterMs: undefined, again: false });
  });

  it("does not create a second block (or PetrelNode) for a node in a pass that runs before the cache shows the first", async () => {
    const { writer, clock, reconciler } = setup(newNode());
    await reconciler.runPass();
    clock.now += 10;
    const second = await reconciler.runPass();
    expect(writer.subjects("createBlock")).toHaveLength(1);
    expect(writer.subjects("createPetrelNode")).toHaveLength(1);
    // The status write was 10 ms ago: the rate limit holds the next one back and asks for a wake-up.
    expect(writer.subjects("updatePoolStatus")).toHaveLength(1);
    expect(second.wakeAfterMs).toBe(testSettings.statusMinIntervalMs - 10);
  });

  it("plans again when a create finds the block taken by another node, and then picks another block", async () => {
    const { writer, reconciler } = setup(newNode());
    writer.createBlockAnswer = (b) => ({ outcome: "exists", existing: block(b.cidr, "pool-a", "node-b", { allocated: 1 }) });
    const first = await reconciler.runPass();
    expect(first.again).toBe(true);
    expect(first.clean).toBe(true);

    writer.createBlockAnswer = () => ({ outcome: "done" });
    const second = await reconciler.runPass();
    expect(second.again).toBe(false);
    const [taken, picked] = writer.subjects("createBlock");
    expect(taken).toBeDefined();
    expect(picked).toMatch(/^node-a /);
    expect(picked).not.toBe(taken);
  });

  it("takes an existing block of the same node as the node's block", async () => {
    const { writer, reconciler } = setup(newNode());
    writer.createBlockAnswer = (b) => ({ outcome: "exists", existing: block(b.cidr, "pool-a", "node-a") });
    await reconciler.runPass();
    await reconciler.runPass();
    expect(writer.subjects("createBlock")).toHaveLength(1);
  });

  it("counts a write that throws as failed, carries out the others, and retries it on the next pass", async () => {
    const { writer, reconciler } = setup(newNode());
    writer.failing.add("createBlock");
    const first = await reconciler.runPass();
    expect(first).toMatchObject({ clean: false, failed: 1, actions: 3 });
    expect(writer.subjects("createPetrelNode")).toEqual(["node-a"]);
    expect(writer.subjects("updatePoolStatus")).toEqual(["pool-a"]);

    writer.failing.clear();
    const second = await reconciler.runPass();
    expect(second).toMatchObject({ clean: true, failed: 0 });
    expect(writer.subjects("createBlock")).toHaveLength(2);
    expect(writer.subjects("createBlock")[1]).toBe(writer.subjects("createBlock")[0]);
  });

  it("starts block writes before status writes, and status writes before events", async () => {
    const full = cluster({
      nodes: ["node-a", "node-b", "node-c", "node-d", "node-e"].map((n) => node(n)),
      pools: [pool("pool-a", "198.18.0.0/24"), pool("pool-b", "198.18.1.0/24")],
      blocks: ["198.18.0.0/26", "198.18.0.64/26", "198.18.0.128/26", "198.18.0.192/26"].map((c, i) => block(c, "pool-a", `node-${"abcd"[i] ?? fail("index")}`)),
    });
    const { writer, reconciler } = setup(full, { concurrency: 1 });
    await reconciler.runPass();
    const methods = writer.calls.map((c) => c.method);
    const lastCreate = methods.lastIndexOf("createBlock");
    const firstStatus = methods.indexOf("updatePoolStatus");
    const firstEvent = methods.indexOf("recordEvent");
    expect(lastCreate).toBeGreaterThanOrEqual(0);
    expect(firstEvent).toBeGreaterThan(firstStatus);
    expect(firstStatus).toBeGreaterThan(lastCreate);
    // pool-b is used up in this very pass (4 blocks, 5 nodes): its status says so at once.
    expect(writer.subjects("recordEvent").sort()).toEqual(["pool-a Warning Exhausted", "pool-b Warning Exhausted"]);
  });

  it("does not drain a block again while the cache has not caught up", async () => {
    const state = cluster({
      nodes: [node("node-a")],
      pools: [pool("pool-a", "198.18.0.0/24")],
      blocks: [block("198.18.0.0/26", "pool-a", "node-a", { allocated: 1 }), block("198.18.9.0/26", "pool-gone", "node-a", { allocated: 1 })],
    });
    const { writer, reconciler } = setup(state);
    await reconciler.runPass();
    await reconciler.runPass();
    expect(writer.subjects("drainBlock")).toEqual(["198-18-9-0-26"]);
  });

  it("does not delete a block again while the cache has not caught up", async () => {
    const state = cluster({
      nodes: [node("node-a")],
      pools: [pool("pool-a", "198.18.0.0/24")],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 1 }),
        block("198.18.0.64/26", "pool-a", "node-a", { draining: true, generation: 2, observedGeneration: 2, allocated: 0 }),
      ],
    });
    const { writer, reconciler } = setup(state);
    await reconciler.runPass();
    await reconciler.runPass();
    expect(writer.subjects("deleteBlock")).toEqual(["198-18-0-64-26"]);
  });

  it("keeps the grace-period clocks from one pass to the next", async () => {
    const state = cluster({
      nodes: [],
      pools: [pool("pool-a", "198.18.0.0/24")],
      petrelNodes: [petrelNode("node-x")],
      blocks: [block("198.18.0.0/26", "pool-a", "node-x", { allocated: 1 })],
    });
    const { writer, clock, reconciler } = setup(state);
    const first = await reconciler.runPass();
    expect(first.wakeAfterMs).toBe(5 * minute);
    clock.now += 5 * minute;
    await reconciler.runPass();
    // Gone for the grace period, with no heartbeat: drained first (an agent still running would stop allocating).
    expect(writer.subjects("drainBlock")).toEqual(["198-18-0-0-26"]);
    expect(writer.subjects("deleteBlock")).toEqual([]);
  });

  it("reports each action and the pass to the metrics", async () => {
    const seen: string[] = [];
    const passes: boolean[] = [];
    const pending: number[] = [];
    const waiting: string[][] = [];
    const metrics: ReconcilerMetrics = {
      action: (kind: Action["kind"], outcome: string) => void seen.push(`${kind} ${outcome}`),
      pass: (_seconds: number, clean: boolean) => void passes.push(clean),
      pendingWrites: (n: number) => void pending.push(n),
      waitingForBlocks: (w) => void waiting.push(w.map((x) => `${x.pool}/${x.node}`)),
    };
    const { writer, reconciler } = setup(newNode(), { metrics });
    writer.failing.add("updatePoolStatus");
    await reconciler.runPass();
    expect(seen.sort()).toEqual(["createBlock done", "createPetrelNode done", "updatePoolStatus error"]);
    expect(passes).toEqual([false]);
    expect(pending).toEqual([2]);
    expect(waiting).toEqual([[]]);
  });

  // Not a block: the finalizer write is not in the own-writes overlay. A pass that runs before
  // the cache shows the finalizer plans it again with the same (now stale) resourceVersion; the
  // API server answers 409, the pass is not clean and the loop backs off.
  test("does not repeat a finalizer write while the cache has not caught up", async () => {
    const { writer, clock, reconciler } = setup(cluster({ pools: [pool("pool-a", "198.18.0.0/24", { finalizers: [] })] }));
    await reconciler.runPass();
    clock.now += 10;
    await reconciler.runPass();
    expect(writer.subjects("setPoolFinalizers")).toHaveLength(1);
  });
});
