import type { IPAMBlock } from "../../common/api/index.ts";
import { block, cluster, node, petrelNode } from "../core/testing/fixtures.ts";
import { OwnWrites } from "./own-writes.ts";

const ttl = 1000;
const b0 = block("198.18.0.0/26", "pool-a", "node-a");
const b1 = block("198.18.0.64/26", "pool-a", "node-a");
const names = (blocks: readonly IPAMBlock[]) => blocks.map((b) => b.metadata.name);
const draining = (b: IPAMBlock): IPAMBlock => ({ ...b, metadata: { ...b.metadata, generation: 2 }, spec: { ...b.spec, draining: true } });

describe("OwnWrites", () => {
  it("shows a created block until the cache has it, without doubling it once it does", () => {
    const own = new OwnWrites(ttl);
    own.blocks.created(b1, 0);
    expect(names(own.apply(cluster({ blocks: [b0] }), 10).blocks)).toEqual([b0.metadata.name, b1.metadata.name]);
    expect(own.pending).toBe(1);
    const cached = { ...b1, status: { allocated: 3 } };
    expect(own.apply(cluster({ blocks: [b0, cached] }), 20).blocks).toEqual([b0, cached]);
    expect(own.pending).toBe(0);
    // Once confirmed, a later cache without it is the truth.
    expect(names(own.apply(cluster({ blocks: [b0] }), 30).blocks)).toEqual([b0.metadata.name]);
  });

  it("forgets a created block the cache never shows after the TTL", () => {
    const own = new OwnWrites(ttl);
    own.blocks.created(b1, 0);
    expect(names(own.apply(cluster({}), ttl).blocks)).toEqual([b1.metadata.name]);
    expect(own.apply(cluster({}), ttl + 1).blocks).toEqual([]);
    expect(own.pending).toBe(0);
  });

  it("hides a deleted block until the cache drops it, or until the TTL", () => {
    const own = new OwnWrites(ttl);
    own.blocks.deleted(b0.metadata.name, undefined, 0);
    expect(names(own.apply(cluster({ blocks: [b0, b1] }), 10).blocks)).toEqual([b1.metadata.name]);
    expect(names(own.apply(cluster({ blocks: [b0, b1] }), ttl + 1).blocks)).toEqual([b0.metadata.name, b1.metadata.name]);

    const confirmed = new OwnWrites(ttl);
    confirmed.blocks.deleted(b0.metadata.name, undefined, 0);
    confirmed.apply(cluster({ blocks: [b1] }), 10);
    expect(confirmed.pending).toBe(0);
  });

  it("a delete cancels an unconfirmed create of the same name", () => {
    const own = new OwnWrites(ttl);
    own.blocks.created(b1, 0);
    own.blocks.deleted(b1.metadata.name, undefined, 5);
    expect(own.apply(cluster({}), 10).blocks).toEqual([]);
  });

  it("applies a drain to the cached block until the cache shows it draining", () => {
    const own = new OwnWrites(ttl);
    own.blocks.patched(b0.metadata.name, draining, 0);
    expect(own.apply(cluster({ blocks: [b0] }), 10).blocks[0]?.spec.draining).toBe(true);
    expect(own.pending).toBe(1);
    const cached = { ...draining(b0), status: { allocated: 0, observedGeneration: 2 } };
    expect(own.apply(cluster({ blocks: [cached] }), 20).blocks).toEqual([cached]);
    expect(own.pending).toBe(0);
  });

  it("drops a drain the cache does not show within the TTL", () => {
    const own = new OwnWrites(ttl);
    own.blocks.patched(b0.metadata.name, draining, 0);
    expect(own.apply(cluster({ blocks: [b0] }), ttl + 1).blocks[0]?.spec.draining).toBeUndefined();
  });

  it("overlays PetrelNodes the same way, and leaves nodes and pools alone", () => {
    const own = new OwnWrites(ttl);
    own.petrelNodes.created(petrelNode("node-b"), 0);
    own.petrelNodes.deleted("node-x", undefined, 0);
    const state = cluster({ nodes: [node("node-a")], petrelNodes: [petrelNode("node-a"), petrelNode("node-x")] });
    const out = own.apply(state, 10);
    expect(out.petrelNodes.map((p) => p.metadata.name)).toEqual(["node-a", "node-b"]);
    expect(out.nodes).toBe(state.nodes);
    expect(out.pools).toBe(state.pools);
  });
});
