import { execSync, type ExecResult } from "./exec.ts";

/**
 * The one helper for work inside a pod's network namespace: every command that must see the
 * container's interfaces goes through here. It uses nsenter(1) rather than setns(2) in-process
 * because a JavaScript runtime is multi-threaded and setns only moves the calling thread.
 */
export function runInNetns(netnsPath: string, argv: readonly string[], stdin?: string): ExecResult {
  return execSync(["nsenter", `--net=${netnsPath}`, "--", ...argv], stdin);
}
