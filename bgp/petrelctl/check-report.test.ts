import { block, pod, pool } from "./testing/objects.ts";
import { checkReport, renderCheck } from "./check-report.ts";

const pools = [pool("main", "198.18.0.0/22")];

test("a clean check says what it looked at", () => {
  const r = checkReport({ pools, blocks: [block("198.18.0.0/26", "node-a", "main", 1)], pods: [pod("default/a", "node-a", ["198.18.0.1"])] });
  expect(r).toEqual({ findings: [], checked: { pools: 1, blocks: 1, podAddresses: 1 } });
  expect(renderCheck(r)).toBe("No problems found (checked 1 pool, 1 block, 1 pod address).\n");
});

test("findings from the API and from the records, each with its fix", () => {
  const r = checkReport({
    pools,
    blocks: [block("198.18.0.0/26", "node-a", "main", 2)],
    pods: [pod("default/a", "node-a", ["198.18.0.1"])],
    records: { node: "node-a", stateDir: "/st", entries: [{ name: "198.18.0.1", target: "petrel/c1/eth0" }, { name: "198.18.0.2", target: "petrel/c2/eth0" }] },
  });
  expect(r.findings.map((f) => f.kind)).toEqual(["allocated-without-pod", "record-without-pod"]);
  expect(r.checked).toEqual({ pools: 1, blocks: 1, podAddresses: 1, records: { node: "node-a", stateDir: "/st", count: 2 } });
  const text = renderCheck(r);
  expect(text).toMatch(/^\[allocated-without-pod\] IPAMBlock 198-18-0-0-26 .*: 1 address allocated without a pod\n {4}fix: Leaked addresses/);
  expect(text).toContain("[record-without-pod] /st/allocations/198.18.0.2 records 198.18.0.2 for container c2");
  expect(text).toMatch(/\n\n2 problems found \(checked 1 pool, 1 block, 1 pod address, 2 allocation records on node-a\)\.\n$/);
});
