import { NodeAddressBook } from "./node-addresses.ts";
import { nodeView } from "./testing/fixtures.ts";

describe("NodeAddressBook", () => {
  it("keeps a node's last address while its InternalIP is missing, for the grace period only", () => {
    const book = new NodeAddressBook(60_000);
    expect(book.update([nodeView("a", "192.0.2.11"), nodeView("b", "192.0.2.12")], 0)).toEqual(new Set(["a", "b"]));
    expect(book.update([nodeView("a", undefined), nodeView("b", "192.0.2.12")], 1000)).toEqual(new Set());
    expect(book.address("a")).toBe("192.0.2.11");
    expect(book.remembered(31_000)).toEqual([{ node: "a", address: "192.0.2.11", forgetInMs: 30_000 }]);
    // Still missing: the grace period counts from when it first went missing.
    expect(book.update([nodeView("a", undefined), nodeView("b", "192.0.2.12")], 30_000)).toEqual(new Set());
    expect(book.update([nodeView("a", undefined), nodeView("b", "192.0.2.12")], 61_000)).toEqual(new Set(["a"]));
    expect(book.address("a")).toBeUndefined();
  });

  it("takes the address back without a change when it returns, and restarts the grace period next time", () => {
    const book = new NodeAddressBook(60_000);
    book.update([nodeView("a", "192.0.2.11")], 0);
    book.update([nodeView("a", undefined)], 10_000);
    expect(book.update([nodeView("a", "192.0.2.11")], 20_000)).toEqual(new Set());
    expect(book.remembered(20_000)).toEqual([]);
    book.update([nodeView("a", undefined)], 100_000);
    expect(book.update([nodeView("a", undefined)], 150_000)).toEqual(new Set());
    expect(book.address("a")).toBe("192.0.2.11");
  });

  it("reports a new address at once and forgets a deleted Node at once", () => {
    const book = new NodeAddressBook(60_000);
    book.update([nodeView("a", "192.0.2.11"), nodeView("b", "192.0.2.12")], 0);
    expect(book.update([nodeView("a", "192.0.2.21"), nodeView("b", "192.0.2.12")], 1)).toEqual(new Set(["a"]));
    expect(book.address("a")).toBe("192.0.2.21");
    expect(book.update([nodeView("a", "192.0.2.21")], 2)).toEqual(new Set(["b"]));
    expect(book.address("b")).toBeUndefined();
  });

  it("gives a node that never had an address none", () => {
    const book = new NodeAddressBook(60_000);
    expect(book.update([nodeView("a", undefined)], 0)).toEqual(new Set());
    expect(book.apply([nodeView("a", undefined)])).toEqual([nodeView("a", undefined)]);
  });
});
