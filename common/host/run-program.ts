/**
 * The one way the agent and petrelctl run a host program (iproute2, nftables) and wait for it:
 * its exit code and output, `input` written to its stdin. Each caller judges the exit code and
 * stderr itself (a missing veth is success for one, a failure for another). The CNI plugin runs
 * no program (docs/cni-plugin.md): it must not import this.
 */
import { spawn } from "node:child_process";
import { TransientError } from "../errors.ts";

export interface ProgramResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface RunOptions {
  /** Written to the program's stdin, which is then closed; without it the program gets none. */
  readonly input?: string;
  /** Names the run in the error when the program cannot start, e.g. "nft". */
  readonly what: string;
  /** Ends that error, e.g. "is nftables installed?". */
  readonly hint: string;
}

/** Resolves when the program has exited (a signal counts as code 1); rejects only when it cannot start. */
export function runProgram(file: string, argv: readonly string[], options: RunOptions): Promise<ProgramResult> {
  const { input } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", (e) => reject(new TransientError(`${options.what}: ${e.message} (${options.hint})`, { cause: e })));
    child.on("close", (code) => resolve({ code: code ?? 1, out, err }));
    if (input !== undefined && child.stdin !== null) {
      // A program that dies early closes its stdin; the close handler reports that, not EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

/**
 * `ip [-n netns] ARGS`: with `netns` set (tests and the demo, where a node is a named network
 * namespace) in that namespace, else in the caller's own.
 */
export function runIp(netns: string | undefined, args: readonly string[], input?: string): Promise<ProgramResult> {
  const argv = [...(netns === undefined ? [] : ["-n", netns]), ...args];
  return runProgram("ip", argv, { ...(input === undefined ? {} : { input }), what: `ip ${argv.slice(0, 6).join(" ")}`, hint: "is iproute2 installed?" });
}
