// The demo's ping matrix: who answered whom, as a table, and how many did not. Pure: the demo
// collects the results (kubectl exec into real pods, or ip netns exec for the netns mode).
export interface MatrixPod {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
}

/** `from` pod name -> target IP -> answered. A missing entry counts as not answered. */
export type PingResults = ReadonlyMap<string, ReadonlyMap<string, boolean>>;

export interface Matrix {
  readonly text: string;
  readonly pairs: number;
  readonly failures: number;
}

export function formatPingMatrix(pods: readonly MatrixPod[], results: PingResults): Matrix {
  const label = (p: MatrixPod) => `${p.name}@${p.node}`;
  const rows = [["from \\ to", ...pods.map(label)]];
  let failures = 0;
  let pairs = 0;
  for (const a of pods) {
    const row = [`${label(a)} ${a.ip}`];
    for (const b of pods) {
      if (a === b) {
        row.push("-");
        continue;
      }
      pairs++;
      const ok = results.get(a.name)?.get(b.ip) === true;
      if (!ok) failures++;
      row.push(ok ? "ok" : "FAIL");
    }
    rows.push(row);
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const text = rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
  return { text, pairs, failures };
}

/** The shell loop run inside a pod: one line `<ip> ok|FAIL` per target (busybox or iputils ping). */
export function pingScript(targets: readonly string[]): string {
  for (const t of targets) if (!/^[0-9a-f.:]+$/i.test(t)) throw new Error(`not an address: ${t}`);
  return `for ip in ${targets.join(" ")}; do if ping -c 2 -w 4 -q "$ip" >/dev/null 2>&1; then echo "$ip ok"; else echo "$ip FAIL"; fi; done`;
}

/** Parses pingScript's output; targets it did not print a line for stay absent (not answered). */
export function parsePingOutput(stdout: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of stdout.split("\n")) {
    const m = /^(\S+) (ok|FAIL)$/.exec(line.trim());
    if (m?.[1] !== undefined) out.set(m[1], m[2] === "ok");
  }
  return out;
}
