import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostTool, pluginPath } from "../rig/no-ip-path.ts";
import { run, runProcess, type ProcessResult } from "../rig/run-process.ts";

import { referencePluginDir } from "../rig/binaries.ts";
import { repoRoot } from "../rig/repo-root.ts";

export { repoRoot };
/** The plugin under test; PETREL_PLUGIN_BINARY runs the CNI tests against another build (e.g. an older release, to see a race test fail). */
export const petrelBinary = process.env.PETREL_PLUGIN_BINARY ?? join(repoRoot, "dist", "bin", "petrel");

export interface PluginCall {
  command: "ADD" | "DEL" | "CHECK" | "VERSION" | "GC" | "STATUS";
  config: Record<string, unknown> | string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  /** Extra or overriding environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
}

export interface PluginOutcome extends ProcessResult {
  json: Record<string, unknown> | undefined;
}

export function pluginEnv(call: PluginCall, pluginDir?: string): NodeJS.ProcessEnv {
  // A PATH where `ip` and `nsenter` are traps: the plugin must need neither (no-ip-path.ts).
  const env: NodeJS.ProcessEnv = { PATH: pluginPath(), CNI_COMMAND: call.command, CNI_PATH: pluginDir ?? referencePluginDir };
  if (call.containerId !== undefined) env["CNI_CONTAINERID"] = call.containerId;
  if (call.netns !== undefined) env["CNI_NETNS"] = call.netns;
  if (call.ifname !== undefined) env["CNI_IFNAME"] = call.ifname;
  if (call.args !== undefined) env["CNI_ARGS"] = call.args;
  for (const [k, v] of Object.entries(call.env ?? {})) {
    env[k] = v;
  }
  return env;
}

function definedOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

function parse(stdout: string): Record<string, unknown> | undefined {
  const text = stdout.trim();
  if (text === "") return undefined;
  return JSON.parse(text) as Record<string, unknown>;
}

/** The command line for a plugin, run inside a "node" netns when one is given. */
function pluginArgv(binary: string, nodeNetns: string | undefined): string[] {
  return nodeNetns === undefined ? [binary] : [hostTool("ip"), "netns", "exec", nodeNetns, binary];
}

/** Runs a CNI plugin binary (Petrel by default) synchronously, optionally inside a node netns. */
export function callPlugin(call: PluginCall, binary = petrelBinary, nodeNetns?: string): PluginOutcome {
  const input = typeof call.config === "string" ? call.config : JSON.stringify(call.config);
  const r = run(pluginArgv(binary, nodeNetns), { input, env: definedOnly(pluginEnv(call)) });
  return { ...r, json: parse(r.stdout) };
}

/** Same as callPlugin, without blocking the event loop (for parallel runs). */
export async function callPluginAsync(call: PluginCall, binary = petrelBinary, nodeNetns?: string): Promise<PluginOutcome> {
  const input = typeof call.config === "string" ? call.config : JSON.stringify(call.config);
  const [file, ...args] = pluginArgv(binary, nodeNetns);
  const r = await runProcess(file as string, args, { input, env: definedOnly(pluginEnv(call)) });
  return { ...r, json: parse(r.stdout) };
}

/** A private state directory for one test file. */
export function tempStateDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(`/tmp/petrel-${label}-`);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function requirePetrelBuilt(): void {
  if (!existsSync(petrelBinary)) throw new Error(`${petrelBinary} is missing: run \`npm run build\` first`);
}
