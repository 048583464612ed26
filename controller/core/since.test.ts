import { SinceTracker } from "./since.ts";

describe("SinceTracker", () => {
  it("starts a condition's clock now and reports it held only after the grace period", () => {
    const first = new SinceTracker(new Map(), 1000);
    expect(first.heldFor("k", 500)).toBe(false);
    expect([...first.result()]).toEqual([["k", 1000]]);
    expect(first.wakeAfterMs()).toBe(500);

    const second = new SinceTracker(first.result(), 1499);
    expect(second.heldFor("k", 500)).toBe(false);
    expect(second.wakeAfterMs()).toBe(1);
    const third = new SinceTracker(second.result(), 1500);
    expect(third.heldFor("k", 500)).toBe(true);
    expect(third.wakeAfterMs()).toBeUndefined();
  });

  it("forgets conditions not asked about in this pass (their clock restarts)", () => {
    const first = new SinceTracker(new Map([["gone", 0], ["kept", 0]]), 100);
    first.heldFor("kept", 50);
    expect([...first.result()]).toEqual([["kept", 0]]);
  });

  it("treats a grace period of zero as held at once", () => {
    expect(new SinceTracker(new Map(), 5).heldFor("k", 0)).toBe(true);
  });

  it("wakes for the earliest of several running grace periods", () => {
    const t = new SinceTracker(new Map([["a", 0]]), 100);
    t.heldFor("a", 1000);
    t.heldFor("b", 300);
    expect(t.wakeAfterMs()).toBe(300);
  });

  it("keeps the first time when asked twice in one pass", () => {
    const t = new SinceTracker(new Map([["a", 10]]), 100);
    t.heldFor("a", 1000);
    t.heldFor("a", 5);
    expect(t.result().get("a")).toBe(10);
  });

  it("does not change the map it was given", () => {
    const old = new Map([["a", 10]]);
    new SinceTracker(old, 100).heldFor("b", 1);
    expect([...old]).toEqual([["a", 10]]);
  });
});
