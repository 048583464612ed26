import { BatchTracker, sentinelCommand } from "./ip-batch-protocol.ts";

describe("BatchTracker", () => {
  it("maps failures to the batch's own lines and ends at the sentinel's report", () => {
    // As iproute2 6.1 printed it for a batch whose lines 2 and 3 failed, then the sentinel (4).
    const t = new BatchTracker();
    t.begin(3);
    expect(t.feed("RTNETLINK answers: File exists\nCommand failed -:2\n")).toBeUndefined();
    expect(t.feed("Error: Nexthop has invalid gateway.\nCommand failed -:3\n")).toBeUndefined();
    expect(t.feed("Error: FIB table does not exist.\nCommand failed -:4\n")).toEqual(new Map([[2, "RTNETLINK answers: File exists"], [3, "Error: Nexthop has invalid gateway."]]));
  });

  it("counts lines across batches, as ip does for as long as it runs", () => {
    const t = new BatchTracker();
    t.begin(2); // lines 1-2, sentinel 3
    expect(t.feed("Error: FIB table does not exist.\nCommand failed -:3\n")).toEqual(new Map());
    t.begin(3); // lines 4-6, sentinel 7
    const done = t.feed("RTNETLINK answers: No such process\nCommand failed -:5\nError: FIB table does not exist.\nCommand failed -:7\n");
    expect(done).toEqual(new Map([[2, "RTNETLINK answers: No such process"]]));
  });

  it("joins a failure's message lines and ignores reports outside the batch", () => {
    const t = new BatchTracker();
    t.begin(1);
    expect(t.feed("Error: one\n  two\nCommand failed -:9\nError: FIB table does not exist.\nCommand failed -:2\n")).toEqual(new Map());
    t.begin(1);
    expect(t.feed("Error: one\n  two\nCommand failed -:3\nCommand failed -:4\n")).toEqual(new Map([[1, "Error: one two"]]));
  });

  it("an empty batch is only the sentinel", () => {
    const t = new BatchTracker();
    t.begin(0);
    expect(t.feed("Error: FIB table does not exist.\nCommand failed -:1\n")).toEqual(new Map());
  });

  it("the sentinel changes nothing a node has: a delete of Petrel's protocol in a table Petrel never uses", () => {
    expect(sentinelCommand).toBe("route del 0.0.0.0/32 table 5288 proto 88");
  });
});
