/**
 * A minimal libcni: runs a network configuration list (conflist) the way a container runtime
 * built on libcni 1.1 does, so chain tests exercise Petrel exactly as podman or containerd would
 * without needing the runtime. What it copies from libcni (libcni/api.go):
 *  - each plugin's config gets the list's `name` and `cniVersion`;
 *  - ADD runs the plugins in order, each receiving the previous plugin's result as `prevResult`;
 *    the last result is cached per (network, container, ifname);
 *  - CHECK runs in order (unless the list says `disableCheck`) and DEL in reverse order, both with the cached ADD result as
 *    `prevResult` (DEL without a cached result sends none, as libcni does);
 *  - `runtimeConfig` carries only the capabilities a plugin declares in `capabilities`.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { referencePluginDir } from "../rig/binaries.ts";
import { petrelBinary } from "./cni.ts";
import { pluginPath } from "../rig/no-ip-path.ts";
import { run } from "../rig/run-process.ts";

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetConfList {
  cniVersion: string;
  name: string;
  /** libcni: CHECK of this list is a no-op. */
  disableCheck?: boolean;
  plugins: PluginConf[];
}

/** The per-attachment inputs of a runtime (libcni's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifname: string;
  args?: string;
  /** e.g. `{ portMappings: [...], bandwidth: {...} }`, offered to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}

export interface CniResultDoc {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string; mtu?: number }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

type Verb = "ADD" | "CHECK" | "DEL";

/** A plugin that exited non-zero; carries the CNI error document so tests can read its code. */
export class CniPluginError extends Error {
  readonly plugin: string;
  readonly verb: Verb;
  readonly code: number | undefined;

  constructor(plugin: string, verb: Verb, code: number | undefined, stdout: string, stderr: string) {
    super(`${plugin} ${verb} failed (CNI code ${code ?? "none"}): ${stdout.trim()} ${stderr.trim()}`.trim());
    this.plugin = plugin;
    this.verb = verb;
    this.code = code;
  }
}

/** The plugins the chain tests need from the reference set (Debian: containernetworking-plugins). */
const requiredReferencePlugins = ["tuning", "bandwidth", "portmap"];

/**
 * One CNI_PATH directory with the reference plugins and Petrel side by side, as a node would have
 * in /opt/cni/bin. Symlinks, so the binaries under test are the installed and built ones.
 */
export function makePluginDir(label: string): { dir: string; cleanup: () => void } {
  for (const p of requiredReferencePlugins) {
    if (!existsSync(join(referencePluginDir, p))) {
      throw new Error(`${join(referencePluginDir, p)} is missing: install it with \`apt-get install -y containernetworking-plugins\``);
    }
  }
  if (!existsSync(petrelBinary)) throw new Error(`${petrelBinary} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(`/tmp/petrel-${label}-cnibin-`);
  for (const name of readdirSync(referencePluginDir)) symlinkSync(join(referencePluginDir, name), join(dir, name));
  symlinkSync(petrelBinary, join(dir, "petrel"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function cacheKey(network: string, rt: RuntimeConf): string {
  return `${network}/${rt.containerId}/${rt.ifname}`;
}

export class ConflistRunner {
  /**
   * libcni's result cache (/var/lib/cni/results), kept in memory: the final ADD result per
   * attachment. A failed ADD is remembered without a result so that delAll still DELs it, as a
   * runtime DELs a sandbox whose ADD failed.
   */
  private readonly cache = new Map<string, { list: NetConfList; rt: RuntimeConf; result?: CniResultDoc; steps: CniResultDoc[] }>();

  private readonly pluginDir: string;

  constructor(pluginDir: string) {
    this.pluginDir = pluginDir;
  }

  add(list: NetConfList, rt: RuntimeConf): CniResultDoc {
    const steps: CniResultDoc[] = [];
    this.cache.set(cacheKey(list.name, rt), { list, rt, steps });
    for (const plugin of list.plugins) {
      steps.push(parseResult(plugin.type, this.exec("ADD", list, plugin, rt, steps.at(-1))));
    }
    const result = steps.at(-1);
    if (result === undefined) throw new Error(`conflist ${list.name} has no plugins`);
    this.cache.set(cacheKey(list.name, rt), { list, rt, result, steps });
    return result;
  }

  /** Each plugin's own ADD result, in chain order (libcni keeps only the last; tests want all). */
  stepResults(list: NetConfList, rt: RuntimeConf): CniResultDoc[] {
    return this.cache.get(cacheKey(list.name, rt))?.steps ?? [];
  }

  /** The cached final ADD result (what libcni would hand to CHECK and DEL). */
  cachedResult(list: NetConfList, rt: RuntimeConf): CniResultDoc | undefined {
    return this.cache.get(cacheKey(list.name, rt))?.result;
  }

  check(list: NetConfList, rt: RuntimeConf): void {
    if (list.disableCheck === true) return;
    const cached = this.cachedResult(list, rt);
    if (cached === undefined) throw new Error(`no cached ADD result for ${cacheKey(list.name, rt)}: CHECK needs one`);
    for (const plugin of list.plugins) this.exec("CHECK", list, plugin, rt, cached);
  }

  del(list: NetConfList, rt: RuntimeConf): void {
    const cached = this.cachedResult(list, rt);
    for (const plugin of [...list.plugins].reverse()) this.exec("DEL", list, plugin, rt, cached);
    // Like libcni, forget the result only when every plugin's DEL succeeded.
    this.cache.delete(cacheKey(list.name, rt));
  }

  /** DELs every attachment still cached (for afterAll after a failed test); returns the errors. */
  delAll(): Error[] {
    const errors: Error[] = [];
    for (const { list, rt } of [...this.cache.values()]) {
      try {
        this.del(list, rt);
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return errors;
  }

  private exec(verb: Verb, list: NetConfList, plugin: PluginConf, rt: RuntimeConf, prev: CniResultDoc | undefined): string {
    const binary = join(this.pluginDir, plugin.type);
    if (!existsSync(binary)) throw new Error(`plugin "${plugin.type}" not found in CNI_PATH ${this.pluginDir}`);
    const r = run([binary], {
      input: JSON.stringify(pluginConfig(list, plugin, rt, prev)),
      env: {
        PATH: pluginPath(), // libcni passes the runtime's own environment; ip is a trap here
        CNI_COMMAND: verb,
        CNI_CONTAINERID: rt.containerId,
        CNI_NETNS: rt.netns,
        CNI_IFNAME: rt.ifname,
        CNI_ARGS: rt.args ?? "",
        CNI_PATH: this.pluginDir,
      },
    });
    if (r.status !== 0) throw new CniPluginError(plugin.type, verb, errorCode(r.stdout), r.stdout, r.stderr);
    // The spec allows nothing on stdout for a successful DEL/CHECK; anything else is a plugin bug.
    if (verb !== "ADD" && r.stdout.trim() !== "") {
      throw new Error(`${plugin.type} ${verb} succeeded but printed to stdout: ${r.stdout.trim()}`);
    }
    return r.stdout;
  }
}

/** libcni's buildOneConfig + injectRuntimeConfig. */
export function pluginConfig(list: NetConfList, plugin: PluginConf, rt: RuntimeConf, prev: CniResultDoc | undefined): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prev !== undefined) conf["prevResult"] = prev;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, enabled] of Object.entries(plugin.capabilities ?? {})) {
    const value = rt.capabilityArgs?.[cap];
    if (enabled && value !== undefined) runtimeConfig[cap] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) conf["runtimeConfig"] = runtimeConfig;
  return conf;
}

function errorCode(stdout: string): number | undefined {
  try {
    const doc = JSON.parse(stdout) as { code?: unknown };
    return typeof doc.code === "number" ? doc.code : undefined;
  } catch {
    return undefined;
  }
}

function parseResult(plugin: string, stdout: string): CniResultDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`${plugin} ADD succeeded but its stdout is not one JSON result: ${JSON.stringify(stdout)}`);
  }
  if (typeof doc !== "object" || doc === null || typeof (doc as { cniVersion?: unknown }).cniVersion !== "string") {
    throw new Error(`${plugin} ADD result has no cniVersion: ${stdout.trim()}`);
  }
  return doc as CniResultDoc;
}
