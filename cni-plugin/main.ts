/**
 * `petrel`: the CNI plugin. This file only reads the runtime's input, dispatches the verb and
 * writes exactly one JSON document (or nothing) to stdout; the verbs live in `commands/`.
 */
import { readFileSync, writeSync } from "node:fs";
import { errorMessage } from "../common/errors.ts";
import { runtimeText } from "../common/host/runtime.ts";
import { aboutText, wantsAbout } from "./about.ts";
import { CniCode, CniError, errorDocument } from "./cni-error.ts";
import { cmdAdd } from "./commands/add.ts";
import { cmdCheck } from "./commands/check.ts";
import { cmdDel } from "./commands/del.ts";
import { cmdGc } from "./commands/gc.ts";
import { cmdStatus } from "./commands/status.ts";
import { parseCniEnv } from "./env.ts";
import { allocLockName, allocationsDir, gateLockName } from "../common/allocation-record.ts";
import { fileAllocationStore } from "./host/allocation-store.ts";
import { blockSource } from "./host/block-source.ts";
import { jsonLogger } from "./host/json-log.ts";
import { kernelDataplane } from "./host/kernel-dataplane.ts";
import { fileNodeLock } from "./host/node-lock.ts";
import { declaredVersion, decodeNetConfJson, parseNetConf, type NetConf } from "./netconf.ts";
import type { PluginDeps, TestHooks } from "./ports.ts";
import { assertVerbInVersion, isSupportedVersion, versionResult } from "./spec-version.ts";

const newestVersion = "1.1.0";
const lockTimeoutMs = 20_000;

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (err) {
    throw new CniError(CniCode.ioFailure, `cannot read the network config from stdin: ${errorMessage(err)}`);
  }
}

/**
 * PETREL_TEST_HOLD_BEFORE_WIRE=<fifo>: ADD, after reserving and before wiring, reads the FIFO to
 * its end (it blocks until a test writes and closes it). For the race tests only.
 */
function testHooks(env: NodeJS.ProcessEnv): TestHooks | undefined {
  const fifo = env["PETREL_TEST_HOLD_BEFORE_WIRE"];
  if (fifo === undefined || fifo === "") return undefined;
  return { beforeWire: () => void readFileSync(fifo) };
}

function makeDeps(conf: NetConf, base: Record<string, string>): PluginDeps {
  const dir = allocationsDir(conf.stateDir);
  const store = fileAllocationStore(dir);
  const hooks = testHooks(process.env);
  return {
    store,
    lock: fileNodeLock({ alloc: `${dir}/${allocLockName}`, gate: `${dir}/${gateLockName}` }, lockTimeoutMs),
    blocks: blockSource(conf.pinnedBlocks, conf.stateDir),
    dataplane: kernelDataplane(conf.stateDir),
    log: jsonLogger(conf.logLevel, conf.logFile, base),
    ...(hooks === undefined ? {} : { hooks }),
  };
}

function run(stdinText: string): { output?: unknown } {
  const env = parseCniEnv(process.env);
  if (env.command === "VERSION") {
    let requested: string | undefined;
    try {
      requested = declaredVersion(decodeNetConfJson(stdinText));
    } catch {
      requested = undefined;
    }
    return { output: versionResult(requested !== undefined && isSupportedVersion(requested) ? requested : newestVersion) };
  }
  const conf = parseNetConf(decodeNetConfJson(stdinText));
  assertVerbInVersion(env.command, conf.cniVersion);
  const deps = makeDeps(conf, { command: env.command, network: conf.name, container: env.containerId, ifname: env.ifname });
  switch (env.command) {
    case "ADD":
      return { output: cmdAdd(env, conf, deps) };
    case "DEL":
      cmdDel(env, conf, deps);
      return {};
    case "CHECK":
      cmdCheck(env, conf, deps);
      return {};
    case "GC":
      cmdGc(conf, deps);
      return {};
    case "STATUS":
      cmdStatus(deps);
      return {};
  }
}

/**
 * Writes the one JSON document to fd 1 directly: touching `process.stdout` loads Bun's stream
 * machinery, 3.5 ms of every ADD (measured). The document is far below a pipe's buffer.
 */
function printDocument(doc: unknown): void {
  writeSync(1, `${JSON.stringify(doc)}\n`);
}

function main(): number {
  if (wantsAbout(process.argv, process.env.CNI_COMMAND)) {
    writeSync(1, aboutText(runtimeText()));
    return 0;
  }
  let stdinText = "";
  try {
    stdinText = readStdin();
    const { output } = run(stdinText);
    if (output !== undefined) printDocument(output);
    return 0;
  } catch (err) {
    const cniErr = err instanceof CniError
      ? err
      : new CniError(CniCode.ioFailure, `internal error: ${errorMessage(err)}`, { cause: err });
    let version = newestVersion;
    try {
      const declared = declaredVersion(decodeNetConfJson(stdinText));
      if (declared !== undefined && isSupportedVersion(declared)) version = declared;
    } catch {
      /* keep the newest version for an undecodable config */
    }
    printDocument(errorDocument(cniErr, version));
    return 1;
  }
}

process.exitCode = main();
