import { connectivityReport, greeting, renderConnectivity } from "./connectivity.ts";

const peer = (pod: string, node: string, ip: string) => ({ pod, node, ip });

test("every peer answers with its own name: ok, across nodes", () => {
  const r = connectivityReport("n1", [
    { peer: peer("p-a", "n1", "198.18.0.2"), answer: greeting("n1", "p-a"), error: undefined, ms: 1 },
    { peer: peer("p-b", "n2", "198.18.0.66"), answer: greeting("n2", "p-b"), error: undefined, ms: 2 },
  ]);
  expect(r.ok).toBe(true);
  expect(r.crossNodeChecked).toBe(true);
  expect(r.nodesReached).toBe(2);
  expect(renderConnectivity(r)).toContain("p-b    n2     198.18.0.66   across nodes   ok");
});

test("a silent peer, a wrong answer, and no peers at all fail", () => {
  const r = connectivityReport("n1", [
    { peer: peer("p-a", "n1", "198.18.0.2"), answer: undefined, error: "connect ETIMEDOUT", ms: 3000 },
    { peer: peer("p-b", "n2", "198.18.0.66"), answer: greeting("n2", "someone-else"), error: undefined, ms: 2 },
  ]);
  expect(r.ok).toBe(false);
  expect(r.notes).toEqual([
    "p-a on n1 (198.18.0.2): connect ETIMEDOUT; petrelctl ipam show --ip 198.18.0.2 shows what the cluster and the node say about it",
    'p-b on n2 (198.18.0.66): unexpected answer "petrel-peer n2 someone-else"; petrelctl ipam show --ip 198.18.0.66 shows what the cluster and the node say about it',
  ]);
  expect(connectivityReport("n1", []).ok).toBe(false);
});

test("one node only: passes, and says that nothing crossed nodes", () => {
  const r = connectivityReport("n1", [{ peer: peer("p-a", "n1", "198.18.0.2"), answer: greeting("n1", "p-a"), error: undefined, ms: 1 }]);
  expect(r.ok).toBe(true);
  expect(r.notes[0]).toMatch(/on one node only, not across nodes/);
});
