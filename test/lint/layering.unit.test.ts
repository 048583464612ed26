// The layering of docs/architecture.md holds by lint (eslint.config.js): each probe below is code
// that breaks one rule, placed at a path where the rule applies (nothing is written to disk), and
// must get that rule's error; the controls are the same kinds of code where they are allowed.
// One child process lints them all (test/lint/lint-probes.ts says why), about 2 s.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Probe, ProbeResult } from "./lint-probes.ts";

interface Forbidden extends Probe {
  readonly why: string;
  readonly rule: "no-restricted-imports" | "no-restricted-globals" | "no-restricted-properties" | "no-restricted-syntax";
  /** A piece of the message that names the rule broken. */
  readonly says: string;
}

const host = "Host access belongs in a `host/` module";
const forbidden: Forbidden[] = [
  { why: "common/ touches the file system", filePath: "common/probe.ts", code: 'import "node:fs";\n', rule: "no-restricted-imports", says: host },
  { why: "common/ logs through winston", filePath: "common/probe.ts", code: 'import "winston";\n', rule: "no-restricted-imports", says: host },
  { why: "common/ imports a program", filePath: "common/probe.ts", code: 'import "../controller/core/plan.ts";\n', rule: "no-restricted-imports", says: "common/ imports no program" },
  { why: "the controller's core reads the environment", filePath: "controller/core/probe.ts", code: "export const probe = process.env.HOME;\n", rule: "no-restricted-globals", says: "It reaches the host" },
  { why: "the controller's core imports node:process", filePath: "controller/core/probe.ts", code: 'import "node:process";\n', rule: "no-restricted-imports", says: host },
  { why: "the controller's core fetches through globalThis", filePath: "controller/core/probe.ts", code: 'export const probe = globalThis.fetch("http://x");\n', rule: "no-restricted-properties", says: host },
  { why: "the controller reconciler talks HTTP", filePath: "controller/reconcile/probe.ts", code: 'import "node:http";\n', rule: "no-restricted-imports", says: host },
  { why: "the controller imports the Kubernetes client outside host/", filePath: "controller/reconcile/probe.ts", code: 'import "@kubernetes/client-node";\n', rule: "no-restricted-imports", says: host },
  { why: "a main.ts that is no program's entry point", filePath: "controller/reconcile/main.ts", code: 'import "node:fs";\n', rule: "no-restricted-imports", says: host },
  { why: "the controller's metrics start the process collectors", filePath: "controller/metrics.ts", code: 'import { collectDefaultMetrics } from "prom-client";\nexport const probe = collectDefaultMetrics;\n', rule: "no-restricted-imports", says: "collectDefaultMetrics from main.ts" },
  { why: "pure controller code imports a host/ module", filePath: "controller/reconcile/probe.ts", code: 'import "../host/kube-writer.ts";\n', rule: "no-restricted-imports", says: "does not import a `host/` module" },
  { why: "product code imports a unit-test fake", filePath: "controller/reconcile/probe.ts", code: 'import "../core/testing/fixtures.ts";\n', rule: "no-restricted-imports", says: "`testing/` holds fakes" },
  { why: "product code imports the test tree", filePath: "controller/host/probe.ts", code: 'import "../../test/rig/rig.ts";\n', rule: "no-restricted-imports", says: "nothing from test/" },
  { why: "the agent's pure code calls fetch", filePath: "bgp/agent/probe.ts", code: 'export const probe = fetch("http://x");\n', rule: "no-restricted-globals", says: "It reaches the host" },
  { why: "the agent's pure code uses gRPC", filePath: "bgp/agent/probe.ts", code: 'import "@grpc/grpc-js";\n', rule: "no-restricted-imports", says: host },
  { why: "the agent's pure code starts a worker", filePath: "bgp/agent/probe.ts", code: 'import "node:worker_threads";\n', rule: "no-restricted-imports", says: host },
  { why: "the agent's pure code imports the GoBGP client's host/ edge", filePath: "bgp/agent/probe.ts", code: 'import "../gobgp/host/connect-gobgp.ts";\n', rule: "no-restricted-imports", says: "does not import a `host/` module" },
  { why: "the agent's edge imports petrelctl dynamically, out of no-restricted-imports' sight", filePath: "bgp/agent/host/probe.ts", code: 'export const probe = import("../../petrelctl/format.ts");\n', rule: "no-restricted-syntax", says: "Import statically" },
  { why: "the agent imports petrelctl", filePath: "bgp/agent/host/probe.ts", code: 'import "../../petrelctl/format.ts";\n', rule: "no-restricted-imports", says: "bgp/agent/ must not import petrelctl/" },
  { why: "the GoBGP client imports the Kubernetes client", filePath: "bgp/gobgp/probe.ts", code: 'import "@kubernetes/client-node";\n', rule: "no-restricted-imports", says: "knows nothing of Kubernetes" },
  { why: "the GoBGP client's host/ edge imports the Kubernetes client", filePath: "bgp/gobgp/host/probe.ts", code: 'import "@kubernetes/client-node";\n', rule: "no-restricted-imports", says: "knows nothing of Kubernetes" },
  { why: "the GoBGP client imports the API types", filePath: "bgp/gobgp/probe.ts", code: 'import "../../common/api/index.ts";\n', rule: "no-restricted-imports", says: "knows nothing of Kubernetes" },
  { why: "the GoBGP client's host/ edge imports the Kubernetes REST client", filePath: "bgp/gobgp/host/probe.ts", code: 'import "../../../common/host/kube-rest.ts";\n', rule: "no-restricted-imports", says: "knows nothing of Kubernetes" },
  { why: "the GoBGP client imports the agent", filePath: "bgp/gobgp/probe.ts", code: 'import "../agent/options.ts";\n', rule: "no-restricted-imports", says: "bgp/gobgp/ must not import agent/" },
  { why: "the GoBGP client imports petrelctl", filePath: "bgp/gobgp/probe.ts", code: 'import "../petrelctl/format.ts";\n', rule: "no-restricted-imports", says: "bgp/gobgp/ must not import petrelctl/" },
  { why: "petrelctl imports the agent", filePath: "bgp/petrelctl/probe.ts", code: 'import "../agent/routes-view.ts";\n', rule: "no-restricted-imports", says: "petrelctl imports only common/" },
  { why: "petrelctl's edge imports the GoBGP client", filePath: "bgp/petrelctl/host/probe.ts", code: 'import "../../gobgp/client.ts";\n', rule: "no-restricted-imports", says: "petrelctl imports only common/" },
  { why: "petrelctl's pure code reads the environment through Bun", filePath: "bgp/petrelctl/probe.ts", code: "export const probe = Bun.env.HOME;\n", rule: "no-restricted-globals", says: "It reaches the host" },
  { why: "the plugin imports the controller", filePath: "cni-plugin/probe.ts", code: 'import "../controller/core/plan.ts";\n', rule: "no-restricted-imports", says: "cni-plugin/ must not import controller/" },
  { why: "the plugin imports the agent", filePath: "cni-plugin/commands/probe.ts", code: 'import "../../bgp/agent/options.ts";\n', rule: "no-restricted-imports", says: "cni-plugin/ must not import bgp/" },
  { why: "the plugin's edge runs a program", filePath: "cni-plugin/host/probe.ts", code: 'import "node:child_process";\n', rule: "no-restricted-imports", says: "must not run other programs" },
  { why: "the plugin's edge runs a program through Bun", filePath: "cni-plugin/host/probe.ts", code: 'export const probe = Bun.spawn(["ip", "link"]);\n', rule: "no-restricted-properties", says: "must not run other programs" },
  { why: "the plugin's entry point takes its locks with flock(1)", filePath: "cni-plugin/main.ts", code: 'import "../common/host/plugin-locks.ts";\n', rule: "no-restricted-imports", says: "must not run other programs" },
  { why: "the plugin's edge runs ip through common/host", filePath: "cni-plugin/host/probe.ts", code: 'import "../../common/host/run-program.ts";\n', rule: "no-restricted-imports", says: "must not run other programs" },
  { why: "the Kubernetes rig imports Petrel's test helpers", filePath: "test/rig/probe.ts", code: 'import "../support/routed-cluster.ts";\n', rule: "no-restricted-imports", says: "test/rig/ imports nothing from test/support/" },
  { why: "the Kubernetes rig's tests import Petrel's test helpers", filePath: "test/rig/probe.test.ts", code: 'import { TestNode } from "../support/node.ts";\nexport const probe = TestNode;\n', rule: "no-restricted-imports", says: "test/rig/ imports nothing from test/support/" },
  { why: "the controller imports the agent, from its entry point", filePath: "controller/main.ts", code: 'import "../bgp/agent/options.ts";\n', rule: "no-restricted-imports", says: "controller/ must not import bgp/" },
];

const allowed: Probe[] = [
  { filePath: "common/host/probe.ts", code: 'import { readFileSync } from "node:fs";\nexport const probe = [readFileSync, process.env.HOME];\n' },
  { filePath: "controller/main.ts", code: 'import { readFileSync } from "node:fs";\nimport { collectDefaultMetrics } from "prom-client";\nexport const probe = [readFileSync, collectDefaultMetrics, process.argv];\n' },
  { filePath: "bgp/agent/main.ts", code: 'import { connectGobgp } from "../gobgp/host/connect-gobgp.ts";\nexport const probe = connectGobgp;\n' },
  { filePath: "bgp/agent/probe.ts", code: 'import { createHash } from "node:crypto";\nimport type { GobgpClient } from "../gobgp/client.ts";\nimport { parseCidr } from "../../common/cidr.ts";\nexport const probe = [createHash, parseCidr];\nexport type Probe = GobgpClient;\n' },
  { filePath: "bgp/gobgp/probe.ts", code: 'import { parseCidr } from "../../common/cidr.ts";\nimport { InvalidInputError } from "../../common/errors.ts";\nexport const probe = [parseCidr, InvalidInputError];\n' },
  { filePath: "bgp/gobgp/host/probe.ts", code: 'import { credentials } from "@grpc/grpc-js";\nexport const probe = credentials;\n' },
  { filePath: "bgp/petrelctl/host/probe.ts", code: 'import { readFileSync } from "node:fs";\nimport { parseRoutesView } from "../../../common/bgp-routes.ts";\nexport const probe = [readFileSync, parseRoutesView, fetch];\n' },
  { filePath: "cni-plugin/host/probe.ts", code: 'import { dlopen } from "bun:ffi";\nexport const probe = dlopen;\n' },
  { filePath: "bgp/agent/testing/probe.ts", code: 'import { FakeTransport } from "../../gobgp/testing/fake-transport.ts";\nexport const probe = FakeTransport;\n' },
  { filePath: "test/support/probe.ts", code: 'import { spawnSync } from "node:child_process";\nimport { KubeRig } from "../rig/rig.ts";\nexport const probe = [spawnSync, KubeRig, process.env.HOME];\n' },
  { filePath: "test/rig/probe.ts", code: 'import { spawnSync } from "node:child_process";\nimport { KubeRig } from "./rig.ts";\nimport { parseCidr } from "../../common/cidr.ts";\nexport const probe = [spawnSync, KubeRig, parseCidr, process.env.HOME];\n' },
  { filePath: "test/probe.ts", code: 'import { spawnSync } from "node:child_process";\nimport "../controller/host/kube-writer.ts";\nexport const probe = [spawnSync, process.env.HOME];\n' },
];

let results: Map<string, ProbeResult>;
const key = (p: Probe) => `${p.filePath}\n${p.code}`;
beforeAll(() => {
  const probes = [...forbidden, ...allowed].map(({ filePath, code }) => ({ filePath, code }));
  const root = join(__dirname, "..", "..");
  const out = execFileSync(process.execPath, [join(root, "test", "lint", "lint-probes.ts")], { cwd: root, input: JSON.stringify(probes), encoding: "utf8", timeout: 30_000 });
  const list = JSON.parse(out) as ProbeResult[];
  results = new Map(list.map((r, i) => [key(probes[i] as Probe), r]));
}, 40_000);

const resultOf = (p: Probe) => {
  const r = results.get(key(p));
  if (r === undefined) throw new Error(`no lint result for ${p.filePath}`);
  return r;
};

test.each(forbidden)("fails lint: $why ($filePath)", (p) => {
  const r = resultOf(p);
  expect(r.fatal).toBe(false);
  expect(r.messages.length).toBeGreaterThan(0);
  expect([...new Set(r.messages.map((m) => m.ruleId))]).toEqual([p.rule]);
  expect(r.messages.map((m) => m.message).join("\n")).toContain(p.says);
});

test.each(allowed)("passes lint: $filePath", (p) => {
  expect(resultOf(p).messages).toEqual([]);
});
