// What test/scripts/demo.ts drives: one demo (on kubelet nodes, or the netns-only one) that
// starts, shows what an operator would look at, and stops. The entry point owns the pid file,
// the signals and the exit status; a DemoRun owns its cluster.
export interface DemoOutcome {
  /** Pod pairs pinged (both directions count) and how many got no answer. */
  readonly pairs: number;
  readonly pingFailures: number;
  /** `petrelctl ipam check` exited 0 (and, on kubelet nodes, the node-local checks too). */
  readonly ipamOk: boolean;
  /** Anything else that is wrong (a pod not Ready, an address outside the pool), one line each. */
  readonly problems: readonly string[];
}

export interface DemoRun {
  readonly banner: string;
  start(): Promise<void>;
  show(section: (title: string, body: string) => void): Promise<DemoOutcome>;
  /** Lines telling how to look at the running demo (mode `up`). */
  usage(): string[];
  /** Removes everything it made; safe to call after a failed or partial start. */
  stop(): Promise<void>;
}

/** The demo's verdict: exit status 0 only when every ping was answered, ipam check passed and nothing else is wrong. */
export function outcomeSummary(o: DemoOutcome): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  lines.push(o.pingFailures === 0 ? `all ${o.pairs} pod pairs answered` : `${o.pingFailures} of ${o.pairs} pod pairs did not answer`);
  lines.push(o.ipamOk ? "ipam check: no problems" : "ipam check: found problems (above)");
  for (const p of o.problems) lines.push(`problem: ${p}`);
  const ok = o.pairs > 0 && o.pingFailures === 0 && o.ipamOk && o.problems.length === 0;
  return { ok, lines };
}
