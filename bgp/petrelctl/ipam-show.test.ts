import { block, pool } from "./testing/objects.ts";
import { compareCidrText, ipamShowReport, renderIpamShow } from "./ipam-show.ts";

const pools = [
  pool("v6", "2001:db8:1::/120", {}, undefined),
  pool("main", "198.18.0.0/22", {}, {
    blockSize: 26,
    conditions: [
      { type: "Exhausted", status: "False", reason: "FreeBlocks", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" },
      { type: "Overlapping", status: "True", reason: "OverlapsNewerPool", message: "overlaps IPPool other (198.18.2.0/24)", lastTransitionTime: "2026-01-01T00:00:00Z" },
    ],
  }),
  pool("small", "198.18.8.0/24", { blockSize: 28, disabled: true }),
];
const blocks = [
  block("198.18.0.64/26", "node-b", "main", 3),
  block("198.18.0.0/26", "node-a", "main", 10),
  block("198.18.0.128/26", "node-a", "main", undefined, { draining: true }),
  block("198.18.8.16/28", "node-a", "small", 1),
];

test("pools with block size, block count, usage and true conditions", () => {
  const r = ipamShowReport(pools, blocks);
  expect(r.pools).toEqual([
    { name: "main", cidr: "198.18.0.0/22", blockSize: 26, blocks: 3, used: 13, capacity: 192, disabled: false, deleting: false, conditions: [{ type: "Overlapping", reason: "OverlapsNewerPool", message: "overlaps IPPool other (198.18.2.0/24)" }] },
    { name: "small", cidr: "198.18.8.0/24", blockSize: 28, blocks: 1, used: 1, capacity: 16, disabled: true, deleting: false, conditions: [] },
    { name: "v6", cidr: "2001:db8:1::/120", blockSize: 122, blocks: 0, used: 0, capacity: 0, disabled: false, deleting: false, conditions: [] },
  ]);
  expect(r.blocks.map((b) => `${b.node} ${b.cidr} ${b.allocated ?? "-"}/${b.capacity} ${b.draining}`)).toEqual([
    "node-a 198.18.0.0/26 10/64 false",
    "node-a 198.18.0.128/26 -/64 true",
    "node-a 198.18.8.16/28 1/16 false",
    "node-b 198.18.0.64/26 3/64 false",
  ]);
});

test("rendered as two tables", () => {
  expect(renderIpamShow(ipamShowReport(pools, blocks))).toBe(
    [
      "POOL    CIDR               BLOCK SIZE   BLOCKS   USED/CAPACITY   DISABLED   CONDITIONS",
      "main    198.18.0.0/22      26           3        13/192          false      Overlapping",
      "small   198.18.8.0/24      28           1        1/16            true       -",
      "v6      2001:db8:1::/120   122          0        0/0             false      -",
      "",
      "main: Overlapping (OverlapsNewerPool): overlaps IPPool other (198.18.2.0/24)",
      "",
      "NODE     BLOCK             POOL    ALLOCATED/CAPACITY   DRAINING",
      "node-a   198.18.0.0/26     main    10/64                false",
      "node-a   198.18.0.128/26   main    -/64                 true",
      "node-a   198.18.8.16/28    small   1/16                 false",
      "node-b   198.18.0.64/26    main    3/64                 false",
      "(- : the node's agent has not reported on the block yet)",
      "",
    ].join("\n"),
  );
});

test("empty cluster", () => {
  const text = renderIpamShow(ipamShowReport([], []));
  expect(text).toMatch(/^No IPPools: /);
  expect(text).toMatch(/\nNo IPAMBlocks: /);
});

test("CIDRs sort by family, address and length; unreadable ones last", () => {
  const list = ["2001:db8::/64", "198.18.1.0/24", "junk", "198.18.0.0/26", "198.18.0.0/24", "10.0.0.0/8"];
  expect([...list].sort(compareCidrText)).toEqual(["10.0.0.0/8", "198.18.0.0/24", "198.18.0.0/26", "198.18.1.0/24", "2001:db8::/64", "junk"]);
});
