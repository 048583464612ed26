// Programs run to completion with their output captured: the one home for this in tests, benches,
// scripts and the demo. `run` and `must` block (a test's own `ip`, `mount` or `podman` steps, in
// order); `runProcess` and `mustRun` do not (kubectl, helm, openssl, a plugin run beside others,
// a bench's many `ip` calls). Unlike start-process.ts, nothing here outlives the call, so no
// pdeathsig or log file is needed.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export interface ProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Fed on stdin; without it stdin is /dev/null. */
  input?: string;
  /** The program's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Runs a program to completion, blocking; never throws on a non-zero exit (127: could not start it). */
export function run(argv: readonly string[], options: RunOptions = {}): ProcessResult {
  const [file, ...args] = argv;
  const r = spawnSync(file as string, args, { input: options.input, env: options.env ?? process.env, encoding: "utf8" });
  if (r.error !== undefined) return { status: 127, stdout: "", stderr: r.error.message };
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Like run() but throws with the program's stderr when it fails; returns stdout. */
export function must(argv: readonly string[], options: RunOptions = {}): string {
  const r = run(argv, options);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The children of runProcess() calls given this set while they run, so that a signal handler can
 * end exactly these (by the pid started here, never by name) and have no more started.
 */
export class RunningChildren {
  readonly #children = new Set<ChildProcess>();
  #stopped = false;

  get stopped(): boolean {
    return this.#stopped;
  }

  track(child: ChildProcess): void {
    this.#children.add(child);
    child.once("close", () => this.#children.delete(child));
  }

  /** SIGKILLs the children still running; later runProcess() calls with this set start nothing (status 130). */
  stopAll(): void {
    this.#stopped = true;
    for (const child of this.#children) child.kill("SIGKILL");
  }
}

export interface RunProcessOptions extends RunOptions {
  /** Tracks the child while it runs (benches end their children on a signal). */
  children?: RunningChildren;
}

/** Runs a program to completion without blocking the event loop; never throws on a non-zero status. */
export function runProcess(file: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessResult> {
  const { input, env, children } = options;
  if (children?.stopped === true) return Promise.resolve({ status: 130, stdout: "", stderr: "interrupted" });
  return new Promise((resolve) => {
    // No input: stdin is /dev/null. A pipe nobody reads (openssl) can fail with EPIPE after the
    // program exits, and that error would surface in whichever test runs next.
    const child = spawn(file, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"], env: env ?? process.env });
    children?.track(child);
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
export async function mustRun(file: string, args: readonly string[], options: RunProcessOptions = {}): Promise<string> {
  const r = await runProcess(file, args, options);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}
