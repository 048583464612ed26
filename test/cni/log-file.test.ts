// The plugin's log file (the chart points it at <stateDir>/cni.log at info): one JSON line per
// operation, and bounded: a full file becomes cni.log.1 and a new one starts.
import { readFileSync, statSync, truncateSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { callPlugin, requirePetrelBuilt, tempStateDir } from "../support/cni.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";

requireRoot();
requirePetrelBuilt();

const MAX = 10 * 1024 * 1024; // cni-plugin/host/json-log.ts LOG_FILE_MAX_BYTES
const ns = new NetnsSet("clog");
const state = tempStateDir("cni-log");
const logFile = join(state.dir, "cni.log");
afterAll(() => {
  ns.removeAll();
  state.cleanup();
});

const del = (node: string) => callPlugin({
  command: "DEL",
  config: { cniVersion: "1.0.0", name: "petrel", type: "petrel", stateDir: state.dir, logFile, logLevel: "info", ipam: { blocks: ["198.18.9.0/26"] } },
  containerId: "log-test-1",
  ifname: "eth0",
  netns: "/var/run/netns/none",
}, undefined, node);

test("one JSON line per operation at info; a full file rotates to cni.log.1", () => {
  const node = ns.create();
  const first = del(node);
  expect(first.status).toBe(0);
  const lines = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: string; message: string; container: string });
  expect(lines).toEqual([expect.objectContaining({ level: "info", message: "pod unwired", container: "log-test-1" })]);

  // A full file: the next line starts a new one, the old one is kept once.
  writeFileSync(logFile, "");
  truncateSync(logFile, MAX);
  expect(del(node).status).toBe(0);
  expect(statSync(`${logFile}.1`).size).toBe(MAX);
  expect(readFileSync(logFile, "utf8").trim().split("\n")).toHaveLength(1);
  expect(existsSync(`${logFile}.2`)).toBe(false);
});
