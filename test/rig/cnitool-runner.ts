/**
 * Runs conflists through cnitool (libcni 1.3, test/rig/cnitool.ts), the way a runtime built on
 * libcni does: plugins in order with prevResult, the final result cached per attachment, CHECK
 * (unless the list says `disableCheck`) and DEL with that cached result, `runtimeConfig` from the
 * capabilities a plugin declares.
 *
 * What cnitool 1.3.1 takes (cnitool/cmd/root.go): the network name and netns path as arguments;
 * CNI_IFNAME (default eth0), CNI_ARGS ("K=V;K=V"), CAP_ARGS (JSON capability args), NETCONFPATH and
 * CNI_PATH from its environment, which libcni passes on to every plugin. It has no CNI_CONTAINERID:
 * the container ID is always derived from the netns path (`cnitoolContainerId`).
 *
 * libcni keeps its cache in /var/lib/cni: cnitool runs in a mount namespace of its own with a temp
 * dir bound over /var/lib, so the machine's /var/lib is never touched.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { cnitoolBinary } from "./cnitool.ts";
import { run, type ProcessResult } from "./run-process.ts";

/** A conflist as libcni loads it from NETCONFPATH (only `name` matters to the runner). */
export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: { type: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** The per-attachment inputs cnitool reads from its environment. */
export interface Attachment {
  netns: string;
  ifname?: string;
  /** CNI_ARGS, "K=V;K=V" (cnitool rejects an empty pair). */
  args?: string;
  /** CAP_ARGS, e.g. `{ portMappings: [...] }`: libcni offers each to the plugins declaring it. */
  capabilityArgs?: Record<string, unknown>;
}

/** cnitool's container ID for a netns path: "cnitool-" and the hex of sha512(abs path)[:10]. */
export function cnitoolContainerId(netns: string): string {
  const abs = isAbsolute(netns) ? resolve(netns) : resolve(process.cwd(), netns);
  return `cnitool-${createHash("sha512").update(abs).digest().subarray(0, 10).toString("hex")}`;
}

export class CnitoolRunner {
  readonly netDir: string;
  private readonly work: string;
  private readonly binary: string;
  private readonly pluginDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly nodeNetns: string | undefined;
  /** Attachments ADDed and not yet DELeted successfully, for `delAll` after a failed test. */
  private readonly attached = new Map<string, { list: Conflist; at: Attachment }>();

  /**
   * @param pluginDir CNI_PATH.
   * @param env the environment cnitool and so every plugin gets (e.g. a PATH with traps).
   * @param nodeNetns a netns to run cnitool in (a test node); the host's when absent.
   */
  constructor(label: string, pluginDir: string, env: NodeJS.ProcessEnv = process.env, nodeNetns?: string) {
    this.pluginDir = pluginDir;
    this.env = env;
    this.nodeNetns = nodeNetns;
    this.binary = cnitoolBinary();
    this.work = mkdtempSync(`/tmp/petrel-${label}-cnitool-`);
    this.netDir = join(this.work, "net.d");
    mkdirSync(this.netDir);
    mkdirSync(join(this.work, "var-lib"));
  }

  /** Makes `list` the one conflist of its name in NETCONFPATH. */
  writeConflist(list: Conflist): void {
    writeFileSync(join(this.netDir, `${list.name}.conflist`), JSON.stringify(list));
  }

  /** cnitool with `args`, extra environment on top of the runner's. */
  run(args: readonly string[], env: Record<string, string> = {}): ProcessResult {
    const netnsExec = this.nodeNetns === undefined ? [] : ["ip", "netns", "exec", this.nodeNetns];
    const script = 'mount --bind "$0" /var/lib && exec "$@"';
    return run(["unshare", "--mount", "--propagation", "private", "--", "bash", "-c", script, join(this.work, "var-lib"), ...netnsExec, this.binary, ...args], {
      env: { ...this.env, NETCONFPATH: this.netDir, CNI_PATH: this.pluginDir, ...env },
    });
  }

  /** ADD of `list` (written to NETCONFPATH first); returns libcni's final result. */
  add(list: Conflist, at: Attachment): unknown {
    this.writeConflist(list);
    this.attached.set(this.key(list, at), { list, at });
    const r = this.mustRun("add", list, at);
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new Error(`cnitool add ${list.name} succeeded but printed no JSON result: ${JSON.stringify(r.stdout)}`);
    }
  }

  check(list: Conflist, at: Attachment): void {
    this.writeConflist(list);
    this.mustRun("check", list, at);
  }

  del(list: Conflist, at: Attachment): void {
    this.writeConflist(list);
    this.mustRun("del", list, at);
    this.attached.delete(this.key(list, at));
  }

  /** DELs every attachment not DELeted yet (afterAll after a failed test); returns the errors. */
  delAll(): Error[] {
    const errors: Error[] = [];
    for (const { list, at } of [...this.attached.values()]) {
      try {
        this.del(list, at);
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return errors;
  }

  cleanup(): void {
    rmSync(this.work, { recursive: true, force: true });
  }

  private key(list: Conflist, at: Attachment): string {
    return `${list.name}/${at.netns}/${at.ifname ?? "eth0"}`;
  }

  private mustRun(verb: "add" | "check" | "del", list: Conflist, at: Attachment): ProcessResult {
    const env: Record<string, string> = { CNI_IFNAME: at.ifname ?? "eth0", CNI_ARGS: at.args ?? "", CAP_ARGS: at.capabilityArgs === undefined ? "" : JSON.stringify(at.capabilityArgs) };
    const r = this.run([verb, list.name, at.netns], env);
    if (r.status !== 0) throw new Error(`cnitool ${verb} ${list.name} ${at.netns} failed (${r.status}): ${r.stderr.trim()} ${r.stdout.trim()}`.trim());
    return r;
  }
}
