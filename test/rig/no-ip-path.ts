/**
 * The PATH every test gives the Petrel plugin (directly, through cnitool, podman or
 * containerd): it starts with a directory whose `ip` and `nsenter` record who called them and,
 * when the caller is `petrel`, fail — so the plugin cannot reach iproute2 or util-linux's nsenter,
 * and a test can prove it did not try (`assertNoIpRun`). Any other caller (a runtime, a chained
 * reference plugin) gets the real tool: only Petrel must do without. The test's own commands use
 * `hostTool` instead.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run-process.ts";

const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const trapped = ["ip", "nsenter"];

let dir: string | undefined;

function trapDir(): string {
  if (dir !== undefined) return dir;
  const made = mkdtempSync("/tmp/petrel-no-ip-");
  dir = made;
  process.once("exit", () => rmSync(made, { recursive: true, force: true }));
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  for (const name of trapped) {
    const script = join(dir, name);
    writeFileSync(script, [
      "#!/bin/sh",
      'caller="$(readlink /proc/$PPID/exe)"',
      `echo "$caller ran ${name} $*" >> ${log}`,
      'case "$caller" in',
      `  */petrel) echo "${name}: not available to petrel in Petrel's tests (test/rig/no-ip-path.ts)" >&2; exit 127 ;;`,
      "esac",
      `PATH=${systemPath} exec ${name} "$@"`,
      "",
    ].join("\n"));
    chmodSync(script, 0o755);
  }
  return dir;
}

/** PATH for the plugin and the runtimes that run it: `ip` and `nsenter` are traps. */
export function pluginPath(): string {
  return `${trapDir()}:${systemPath}`;
}

/** The calls recorded by the traps so far: "<caller's executable> ran ip <args>". */
export function ipCalls(): string[] {
  if (dir === undefined) return [];
  const log = join(dir, "calls.log");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "") : [];
}

/** Throws when petrel tried to run `ip` or `nsenter` (other callers are allowed them). */
export function assertNoIpRun(): void {
  const calls = ipCalls().filter((c) => /\/petrel ran /.test(c));
  if (calls.length > 0) throw new Error(`petrel ran iproute2/nsenter, which it must not need:\n${calls.join("\n")}`);
}

const resolved = new Map<string, string>();

/** The absolute path of a system tool for the test's own use (never the traps above). */
export function hostTool(name: string): string {
  let path = resolved.get(name);
  if (path === undefined) {
    const r = run(["sh", "-c", `PATH=${systemPath} command -v ${name}`]);
    path = r.stdout.trim();
    if (r.status !== 0 || path === "") throw new Error(`${name} is not installed (looked in ${systemPath})`);
    resolved.set(name, path);
  }
  return path;
}
