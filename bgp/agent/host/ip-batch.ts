/**
 * One long-lived `ip -force -batch -` per agent for route changes, instead of one `ip` per pass.
 * Under a burst the route engine runs a pass every few milliseconds, and spawning `ip` from a
 * 100 MiB Node process cost 15 ms a pass on this machine while gobgpd and BIRD were busy
 * (median of 100 spawns, load 6; docs/bench-routes.md).
 *
 * `ip -batch` reads commands as they arrive and reports every failed line on stderr, unbuffered,
 * as message lines followed by `Command failed -:<line>`, line numbers counting from the start of
 * its input. So each batch ends with a sentinel command that always fails inside the kernel
 * without changing anything (a delete from a routing table that does not exist): when its
 * line's failure is reported, ip has run every line before it. Failures are mapped back to the
 * batch's own lines. One batch at a time (the route engine's passes are serialized anyway).
 * If ip dies or stops answering, the batch in flight fails as transient (the engine lists the
 * kernel again and retries) and the next batch starts a new ip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { TransientError } from "../../../common/errors.ts";
import { BatchTracker, sentinelCommand } from "../ip-batch-protocol.ts";

export interface IpBatchOptions {
  readonly netns?: string | undefined;
  /** A batch that takes longer than this kills ip (default 30 s). */
  readonly timeoutMs?: number;
  readonly command?: string;
}

export class IpBatch {
  readonly #options: IpBatchOptions;
  #child: ChildProcess | undefined;
  #tracker = new BatchTracker();
  #stderr = "";
  #pending: { resolve: (failures: Map<number, string>) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: IpBatchOptions = {}) {
    this.#options = options;
  }

  /** Runs `lines` (no newlines inside); resolves with the failures by 1-based line of `lines`. */
  run(lines: readonly string[]): Promise<Map<number, string>> {
    const next = this.#queue.then(() => this.#run(lines));
    this.#queue = next.catch(() => {});
    return next;
  }

  /** The running ip's pid (tests: one ip serves every batch). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  close(): void {
    const child = this.#child;
    this.#child = undefined;
    child?.stdin?.end();
    child?.kill("SIGTERM");
  }

  #run(lines: readonly string[]): Promise<Map<number, string>> {
    const child = this.#child ?? this.#start();
    return new Promise((resolve, reject) => {
      const timeoutMs = this.#options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.#fail(new TransientError(`ip -batch answered nothing for ${timeoutMs} ms; restarted`));
        child.kill("SIGKILL");
      }, timeoutMs);
      this.#pending = { resolve, reject, timer };
      this.#tracker.begin(lines.length);
      child.stdin?.write(`${lines.join("\n")}${lines.length > 0 ? "\n" : ""}${sentinelCommand}\n`);
    });
  }

  #start(): ChildProcess {
    const netns = this.#options.netns;
    const argv = [...(netns === undefined ? [] : ["-n", netns]), "-force", "-batch", "-"];
    const child = spawn(this.#options.command ?? "ip", argv, { stdio: ["pipe", "ignore", "pipe"] });
    this.#child = child;
    this.#tracker = new BatchTracker();
    this.#stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => this.#onStderr(d));
    // A dead ip closes its stdin; the exit handler reports that, not EPIPE.
    child.stdin?.on("error", () => {});
    child.on("error", (e) => {
      if (this.#child === child) this.#child = undefined;
      this.#fail(new TransientError(`ip -batch: ${e.message} (is iproute2 installed?)`, { cause: e }));
    });
    child.on("exit", (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      const tail = this.#stderr.trim().slice(-500);
      this.#fail(new TransientError(`ip -batch exited (${signal ?? code ?? "?"}) in the middle of a batch${tail === "" ? "" : `: ${tail}`}`));
    });
    return child;
  }

  #onStderr(data: string): void {
    this.#stderr += data;
    const end = this.#stderr.lastIndexOf("\n");
    if (end < 0) return;
    const complete = this.#stderr.slice(0, end + 1);
    this.#stderr = this.#stderr.slice(end + 1);
    const done = this.#tracker.feed(complete);
    if (done !== undefined && this.#pending !== undefined) {
      const p = this.#pending;
      this.#pending = undefined;
      clearTimeout(p.timer);
      p.resolve(done);
    }
  }

  #fail(err: Error): void {
    const p = this.#pending;
    if (p === undefined) return;
    this.#pending = undefined;
    clearTimeout(p.timer);
    p.reject(err);
  }
}
