/**
 * Runs a program and waits for it. Uses `Bun.spawnSync` when running as the compiled plugin
 * (measured here: 2.5 ms per spawn against 8 ms for node:child_process), and Node's
 * `spawnSync` otherwise so the same code runs under the test runner.
 */
export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

import type * as NodeChildProcessModule from "node:child_process";

type NodeChildProcess = typeof NodeChildProcessModule;

export function execSync(argv: readonly string[], stdin?: string): ExecResult {
  if (typeof Bun !== "undefined") {
    const r = Bun.spawnSync([...argv], {
      stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    return { status: r.exitCode ?? 1, stdout: r.stdout?.toString() ?? "", stderr: r.stderr?.toString() ?? "" };
  }
  const cp = process.getBuiltinModule("node:child_process") as NodeChildProcess;
  const [file, ...args] = argv;
  const r = cp.spawnSync(file as string, args, { input: stdin, encoding: "utf8" });
  if (r.error !== undefined) return { status: 127, stdout: "", stderr: r.error.message };
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
