import { checkNodeKnown, outputFormat, positiveDuration, recordCheckTarget } from "./options.ts";

test("output formats", () => {
  expect(outputFormat("json")).toBe("json");
  expect(outputFormat("table")).toBe("table");
  expect(outputFormat("yaml")).toBe("yaml");
  expect(outputFormat("wide")).toBe("wide");
  expect(() => outputFormat("xml")).toThrow('--output: "xml" is not an output format; use table, wide, json, yaml');
});

test("durations", () => {
  expect(positiveDuration("3m", "--stale-after")).toBe(180_000);
  expect(() => positiveDuration("0s", "--stale-after")).toThrow("--stale-after: must be longer than 0");
  expect(() => positiveDuration("soon", "--request-timeout")).toThrow(/^--request-timeout: "soon" is not a duration/);
});

test("--state-dir needs a node; --node alone is refused", () => {
  expect(recordCheckTarget({}, {})).toBeUndefined();
  expect(recordCheckTarget({}, { NODE_NAME: "n1" })).toBeUndefined();
  expect(recordCheckTarget({ stateDir: "/var/lib/petrel", node: "n1" }, {})).toEqual({ stateDir: "/var/lib/petrel", node: "n1" });
  expect(recordCheckTarget({ stateDir: "/var/lib/petrel" }, { NODE_NAME: "n2" })).toEqual({ stateDir: "/var/lib/petrel", node: "n2" });
  expect(recordCheckTarget({ stateDir: "/s", node: "n1" }, { NODE_NAME: "n2" })).toEqual({ stateDir: "/s", node: "n1" });
  expect(() => recordCheckTarget({ stateDir: "/s" }, {})).toThrow(/^--node: is required with --state-dir/);
  expect(() => recordCheckTarget({ node: "n1" }, {})).toThrow(/^--node: only selects .* add --state-dir DIR/);
});

test("the node of a record check must exist", () => {
  expect(() => checkNodeKnown("n1", ["n0", "n1"])).not.toThrow();
  expect(() => checkNodeKnown("typo", ["n0", "n1"])).toThrow('--node: no IPAMBlock or pod in the cluster is on node "typo"');
});
