// The demo's pure parts: its command line, the ping matrix and the verdict (no lock needed).
import { parseDemoArgs } from "./demo-options.ts";
import { outcomeSummary } from "./demo-run.ts";
import { formatPingMatrix, parsePingOutput, pingScript } from "./ping-matrix.ts";

test("parseDemoArgs: modes, options, defaults and refusals", () => {
  expect(parseDemoArgs([])).toEqual({ mode: "up", nodes: 3, tor: false, netnsNodes: false });
  expect(parseDemoArgs(["once", "--nodes", "2", "--tor"])).toEqual({ mode: "once", nodes: 2, tor: true, netnsNodes: false });
  expect(parseDemoArgs(["--netns-nodes", "--nodes=4", "down"])).toEqual({ mode: "down", nodes: 4, tor: false, netnsNodes: true });
  expect(() => parseDemoArgs(["once", "up"])).toThrow("two modes given");
  expect(() => parseDemoArgs(["--nodes", "1"])).toThrow("--nodes needs a whole number from 2 to 9");
  expect(() => parseDemoArgs(["--nodes"])).toThrow("--nodes needs a whole number");
  expect(() => parseDemoArgs(["--nodes=2.5"])).toThrow("--nodes needs a whole number");
  expect(() => parseDemoArgs(["--bogus"])).toThrow(/unknown argument --bogus; usage: npm run demo/);
});

const pods = [
  { name: "a", node: "node-1", ip: "198.18.0.1" },
  { name: "b", node: "node-2", ip: "198.18.0.65" },
  { name: "c", node: "node-2", ip: "198.18.0.66" },
];

test("formatPingMatrix: a complete matrix, and missing or failed answers as FAIL", () => {
  const all = new Map(pods.map((p) => [p.name, new Map(pods.filter((q) => q !== p).map((q) => [q.ip, true]))]));
  const ok = formatPingMatrix(pods, all);
  expect([ok.pairs, ok.failures]).toEqual([6, 0]);
  expect(ok.text.split("\n")).toEqual([
    "from \\ to             a@node-1  b@node-2  c@node-2",
    "a@node-1 198.18.0.1   -         ok        ok",
    "b@node-2 198.18.0.65  ok        -         ok",
    "c@node-2 198.18.0.66  ok        ok        -",
  ]);
  const some = new Map(all);
  some.set("a", new Map([["198.18.0.65", false]])); // c not answered at all, b failed
  const bad = formatPingMatrix(pods, some);
  expect([bad.pairs, bad.failures]).toEqual([6, 2]);
  expect(bad.text.split("\n")[1]).toBe("a@node-1 198.18.0.1   -         FAIL      FAIL");
});

test("pingScript and parsePingOutput", () => {
  expect(pingScript(["198.18.0.1", "fd00::1"])).toContain("for ip in 198.18.0.1 fd00::1; do");
  expect(() => pingScript(["1.2.3.4; rm -rf /"])).toThrow("not an address");
  expect([...parsePingOutput("198.18.0.1 ok\n198.18.0.2 FAIL\nnoise\n")]).toEqual([["198.18.0.1", true], ["198.18.0.2", false]]);
});

test("outcomeSummary: OK only with pairs, no failed ping, ipam check passed and no problem", () => {
  expect(outcomeSummary({ pairs: 30, pingFailures: 0, ipamOk: true, problems: [] })).toEqual({ ok: true, lines: ["all 30 pod pairs answered", "ipam check: no problems"] });
  expect(outcomeSummary({ pairs: 30, pingFailures: 1, ipamOk: true, problems: [] }).ok).toBe(false);
  expect(outcomeSummary({ pairs: 30, pingFailures: 0, ipamOk: false, problems: [] }).ok).toBe(false);
  expect(outcomeSummary({ pairs: 0, pingFailures: 0, ipamOk: true, problems: [] }).ok).toBe(false);
  expect(outcomeSummary({ pairs: 30, pingFailures: 0, ipamOk: true, problems: ["pod x is not Ready"] }).lines).toContain("problem: pod x is not Ready");
});
