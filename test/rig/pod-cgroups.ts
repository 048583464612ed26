// CPU and memory of a pod on a test kubelet node, read from its cgroup v1 directories (the kubelet's
// cgroupfs driver: <cgroupRoot>/kubepods[/<qos>]/pod<uid>), as the kubelet's own summary would:
// CPU time from cpuacct.usage, memory as the working set (usage minus inactive file pages) and RSS.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface PodUsage {
  /** Cumulative CPU time, ns. */
  cpuNs: number;
  workingSetBytes: number;
  rssBytes: number;
}

function findPodDir(base: string, uid: string): string | undefined {
  const want = `pod${uid}`;
  const walk = (dir: string, depth: number): string | undefined => {
    if (!existsSync(dir) || depth > 3) return undefined;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === want) return join(dir, e.name);
      const found = walk(join(dir, e.name), depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(base, 0);
}

/** Usage of the pod with `uid` under the node's cgroup root (`/<name>`); undefined when its cgroup is not (or no longer) there. */
export function podUsage(cgroupRoot: string, uid: string): PodUsage | undefined {
  const cpuDir = findPodDir(join("/sys/fs/cgroup/cpuacct", cgroupRoot), uid);
  const memDir = findPodDir(join("/sys/fs/cgroup/memory", cgroupRoot), uid);
  if (cpuDir === undefined || memDir === undefined) return undefined;
  try {
    const cpuNs = Number(readFileSync(join(cpuDir, "cpuacct.usage"), "utf8"));
    const usage = Number(readFileSync(join(memDir, "memory.usage_in_bytes"), "utf8"));
    const stat = new Map(readFileSync(join(memDir, "memory.stat"), "utf8").split("\n").map((l) => l.split(" ") as [string, string]).map(([k, v]) => [k, Number(v)]));
    const inactiveFile = stat.get("total_inactive_file") ?? 0;
    return { cpuNs, workingSetBytes: Math.max(0, usage - inactiveFile), rssBytes: stat.get("total_rss") ?? 0 };
  } catch {
    return undefined;
  }
}

/** Samples a set of pods every `intervalMs` until stop(): average and peak CPU (millicores) and peak memory per pod. */
export class UsageSampler {
  readonly #pods: readonly { key: string; cgroupRoot: string; uid: string }[];
  readonly #samples = new Map<string, { t: number; u: PodUsage }[]>();
  readonly #timer: NodeJS.Timeout;

  constructor(pods: readonly { key: string; cgroupRoot: string; uid: string }[], intervalMs = 500) {
    this.#pods = pods;
    const sample = () => {
      const t = Date.now();
      for (const p of this.#pods) {
        const u = podUsage(p.cgroupRoot, p.uid);
        if (u === undefined) continue;
        const list = this.#samples.get(p.key) ?? [];
        list.push({ t, u });
        this.#samples.set(p.key, list);
      }
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  stop(): Map<string, { avgMilliCpu: number; peakMilliCpu: number; peakWorkingSetMiB: number; peakRssMiB: number }> {
    clearInterval(this.#timer);
    const out = new Map<string, { avgMilliCpu: number; peakMilliCpu: number; peakWorkingSetMiB: number; peakRssMiB: number }>();
    for (const [key, s] of this.#samples) {
      const first = s[0];
      const last = s[s.length - 1];
      if (first === undefined || last === undefined) continue;
      let peak = 0;
      for (let i = 1; i < s.length; i++) {
        const a = s[i - 1];
        const b = s[i];
        if (a === undefined || b === undefined || b.t === a.t) continue;
        peak = Math.max(peak, (b.u.cpuNs - a.u.cpuNs) / 1e6 / (b.t - a.t) * 1000);
      }
      const avg = last.t === first.t ? 0 : (last.u.cpuNs - first.u.cpuNs) / 1e6 / (last.t - first.t) * 1000;
      const mib = (n: number) => n / 1024 / 1024;
      out.set(key, {
        avgMilliCpu: avg,
        peakMilliCpu: peak,
        peakWorkingSetMiB: mib(Math.max(...s.map((x) => x.u.workingSetBytes))),
        peakRssMiB: mib(Math.max(...s.map((x) => x.u.rssBytes))),
      });
    }
    return out;
  }
}
