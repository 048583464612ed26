// Short-lived programs (kubectl, openssl) run to completion with their output captured. Unlike
// start-process.ts, nothing here outlives the call, so no pdeathsig or log file is needed.
import { spawn } from "node:child_process";

export interface ProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, feeding `input` on stdin; never throws on a non-zero status. */
export function runProcess(file: string, args: readonly string[], input?: string): Promise<ProcessResult> {
  return new Promise((resolve) => {
    // No input: stdin is /dev/null. A pipe nobody reads (openssl) can fail with EPIPE after the
    // program exits, and that error would surface in whichever test runs next.
    const child = spawn(file, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    // 127 is what a shell reports for a program it cannot run; tests can tell it from a real status.
    child.once("error", (e) => resolve({ status: 127, stdout: "", stderr: e.message }));
    child.once("close", (code, signal) =>
      resolve({
        status: code ?? (signal !== null ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    if (input !== undefined && child.stdin !== null) {
      // A program that exits without reading all of it: its status says what happened.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

/** Like runProcess() but throws with the program's stderr on failure; returns stdout. */
export async function mustRun(file: string, args: readonly string[]): Promise<string> {
  const r = await runProcess(file, args);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}
