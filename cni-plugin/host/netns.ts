import { execSync, type ExecResult } from "./exec.ts";

const namedNetns = /^\/(?:var\/)?run\/netns\/([^/]+)$/;

/**
 * The one helper for work inside a pod's network namespace: every command that must see the
 * container's interfaces goes through here. It runs a separate process rather than calling
 * setns(2) in-process, because a JavaScript runtime is multi-threaded and setns moves only the
 * calling thread. For `ip` on a named namespace (containerd's and podman's /run/netns/...)
 * it uses `ip -n NAME`, which saves the nsenter exec (1-2 ms measured); otherwise nsenter(1).
 */
export function runInNetns(netnsPath: string, argv: readonly string[], stdin?: string): ExecResult {
  const named = namedNetns.exec(netnsPath);
  if (named !== null && argv[0] === "ip") {
    return execSync(["ip", "-n", named[1] as string, ...argv.slice(1)], stdin);
  }
  return execSync(["nsenter", `--net=${netnsPath}`, "--", ...argv], stdin);
}
