import { spawnSync } from "node:child_process";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; never throws on a non-zero exit. */
export function run(argv: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const [file, ...args] = argv;
  const r = spawnSync(file as string, args, { input: options.input, env: options.env ?? process.env, encoding: "utf8" });
  if (r.error !== undefined) return { status: 127, stdout: "", stderr: r.error.message };
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a program and throws with its stderr when it fails. */
export function must(argv: readonly string[], options: { input?: string } = {}): string {
  const r = run(argv, options);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}
