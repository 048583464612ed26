// A block deleted and re-created under the same name (its CIDR) for another node while the
// controller's watch cache still shows the old one: neither the write overlay nor the delete may
// touch the new block. The fake API server below enforces delete preconditions as the real one
// does (a uid that no longer matches is a 409), and the cache lags behind it by hand.
import type { IPAMBlock, PetrelNode } from "../../common/api/index.ts";
import { silentLogger } from "../../common/logger.ts";
import { blockNodeLabel, blockPoolLabel, type ClusterState, type NewBlock } from "../core/cluster-state.ts";
import { block, cluster, node, pool, t0, testSettings } from "../core/testing/fixtures.ts";
import type { ClusterCache, ClusterWriter, WriteResult } from "../ports.ts";
import { Reconciler } from "./reconciler.ts";

class FakeApiServer implements ClusterWriter {
  readonly blocks = new Map<string, IPAMBlock>();
  readonly log: string[] = [];
  #uid = 0;

  create(b: NewBlock): IPAMBlock {
    const made: IPAMBlock = {
      apiVersion: "petrel.dev/v1alpha1",
      kind: "IPAMBlock",
      metadata: { name: b.name, uid: `server-uid-${++this.#uid}`, generation: 1, labels: { [blockNodeLabel]: b.node, [blockPoolLabel]: b.pool } },
      spec: { cidr: b.cidr, pool: b.pool, node: b.node },
    };
    this.blocks.set(b.name, made);
    return made;
  }
  async createBlock(b: NewBlock): Promise<WriteResult<IPAMBlock>> {
    const existing = this.blocks.get(b.name);
    if (existing !== undefined) return { outcome: "exists", existing };
    this.log.push(`create ${b.name} for ${b.node}`);
    return { outcome: "done", object: this.create(b) };
  }
  async deleteBlock(name: string, uid: string | undefined): Promise<WriteResult> {
    const existing = this.blocks.get(name);
    if (existing === undefined) return { outcome: "missing" };
    if (uid !== undefined && existing.metadata.uid !== uid) {
      this.log.push(`delete ${name} refused: precondition uid ${uid}, object uid ${existing.metadata.uid ?? ""}`);
      return { outcome: "missing" };
    }
    this.log.push(`delete ${name} (node ${existing.spec.node})`);
    this.blocks.delete(name);
    return { outcome: "done" };
  }
  async abandonBlock(): Promise<WriteResult> {
    return { outcome: "done" };
  }
  async drainBlock(): Promise<WriteResult<IPAMBlock>> {
    return { outcome: "done" };
  }
  async createPetrelNode(): Promise<WriteResult<PetrelNode>> {
    return { outcome: "done" };
  }
  async deletePetrelNode(): Promise<WriteResult> {
    return { outcome: "done" };
  }
  async setPoolFinalizers(): Promise<WriteResult> {
    return { outcome: "done" };
  }
  async updatePoolStatus(): Promise<WriteResult> {
    return { outcome: "done" };
  }
  async recordEvent(): Promise<WriteResult> {
    return { outcome: "done" };
  }
}

class LaggingCache implements ClusterCache {
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

describe("a block re-created under the same name within one stale cache window", () => {
  // A pool of exactly one /26 block. node-a left the pool's selector and drained the block (the
  // agent acknowledged, no address in use); node-b is selected and waits for a block.
  const thePool = pool("pool-a", "198.18.0.0/26", { blockSize: 26, nodeSelector: { matchLabels: { petrel: "yes" } } });
  const nodes = [node("node-a"), node("node-b", { petrel: "yes" })];
  const drainedOnA = { ...block("198.18.0.0/26", "pool-a", "node-a", { draining: true, generation: 2, observedGeneration: 2, allocated: 0, uid: "uid-old" }) };

  it("is not deleted: the overlay tells the two apart by uid and the delete is conditional on the old uid", async () => {
    const server = new FakeApiServer();
    server.blocks.set(drainedOnA.metadata.name, drainedOnA);
    const stale = cluster({ nodes, pools: [thePool], blocks: [drainedOnA] });
    const cache = new LaggingCache(stale);
    let now = t0;
    const reconciler = new Reconciler({ cache, writer: server, log: silentLogger, settings: testSettings, now: () => now });

    await reconciler.runPass(); // deletes the drained block
    expect(server.log).toEqual(["delete 198-18-0-0-26 (node node-a)"]);
    now += 100;
    await reconciler.runPass(); // the CIDR is free: node-b gets it, a new object of the same name
    expect(server.log.slice(1)).toEqual(["create 198-18-0-0-26 for node-b"]);
    const created = server.blocks.get("198-18-0-0-26");
    expect(created?.spec.node).toBe("node-b");

    // The watch has delivered neither event yet: the cache still shows node-a's drained block.
    for (let i = 0; i < 5; i++) {
      now += 100;
      await reconciler.runPass();
    }
    expect(server.blocks.get("198-18-0-0-26")).toBe(created);
    expect(server.log.filter((l) => l.startsWith("delete")).length).toBe(1);

    // Even a plan made from the stale copy alone (a restarted controller, no overlay) cannot delete it.
    const fresh = new Reconciler({ cache, writer: server, log: silentLogger, settings: testSettings, now: () => now });
    await fresh.runPass();
    expect(server.log.at(-1)).toBe("delete 198-18-0-0-26 refused: precondition uid uid-old, object uid server-uid-1");
    expect(server.blocks.get("198-18-0-0-26")).toBe(created);

    // The cache catches up: the new block is node-b's and stays.
    cache.state = cluster({ nodes, pools: [thePool], blocks: [created as IPAMBlock] });
    now += 100;
    await reconciler.runPass();
    expect(server.blocks.get("198-18-0-0-26")).toBe(created);
  });
});
