// Host state that a test kubelet node makes outside its network namespace, and its removal:
// mounts under the node's temp dir (overlay roots, shm, volume tmpfs, the kubelet's rshared root
// dir), a cgroup subtree of its own in every cgroup v1 hierarchy (the machine is cgroup v1), and
// processes left in that subtree. Everything is found by the node's own paths and names.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run-process.ts";

/** Mount points at or below `dir`, in the host mount namespace, deepest (last mounted) first. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    // Field 5 is the mount point, with spaces and such octal-escaped.
    const point = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point !== undefined && (point === dir || point.startsWith(`${dir}/`))) out.push(point);
  }
  return out.reverse();
}

/** Unmounts everything at or below `dir` (lazily when busy); returns what could not be unmounted. */
export function unmountUnder(dir: string): string[] {
  // A mount can be stacked several times on one point; repeat until none is left.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return [];
    for (const p of points) {
      if (run(["umount", p]).status !== 0) run(["umount", "-l", p]);
    }
  }
  return mountsUnder(dir);
}

/** cgroup v1 hierarchies (and the v2 one of a hybrid layout): mount point per hierarchy. */
function cgroupMounts(): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const [, point, type] = line.split(" ");
    if (point !== undefined && (type === "cgroup" || type === "cgroup2")) out.push(point);
  }
  return out;
}

/**
 * `/<name>` in every cgroup hierarchy: the kubelet's cgroupRoot, under which it makes
 * kubepods/{burstable,besteffort}/pod<uid>/<container>. The kubelet requires it to exist.
 */
export class CgroupRoot {
  /** As the kubelet's cgroupRoot: `/<name>`. */
  readonly path: string;

  constructor(name: string) {
    this.path = `/${name}`;
  }

  create(): void {
    for (const mount of cgroupMounts()) {
      const dir = join(mount, this.path);
      mkdirSync(dir, { recursive: true });
      // cgroup v1 cpuset: a new group starts with no CPUs and no memory nodes, so nothing could
      // run in it; take the parent's (the kubelet and runc copy them further down).
      if (existsSync(join(dir, "cpuset.cpus"))) {
        for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(dir, f), readFileSync(join(mount, f)));
      }
    }
  }

  /** Pids of every process in the subtree, in any hierarchy. */
  pids(): number[] {
    const pids = new Set<number>();
    const walk = (dir: string): void => {
      const procs = join(dir, "cgroup.procs");
      if (existsSync(procs)) {
        for (const l of readFileSync(procs, "utf8").split("\n")) if (l !== "") pids.add(Number(l));
      }
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    };
    for (const mount of cgroupMounts()) {
      const dir = join(mount, this.path);
      if (existsSync(dir)) walk(dir);
    }
    return [...pids];
  }

  /** SIGKILLs every process in the subtree (the node's containers, if the runtime left any). */
  killAll(): number[] {
    const pids = this.pids();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    return pids;
  }

  /** Removes the subtree, deepest first; returns the directories that would not go (still busy). */
  remove(): string[] {
    const left: string[] = [];
    const rm = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
      try {
        rmdirSync(dir);
      } catch {
        left.push(dir);
      }
    };
    for (const mount of cgroupMounts()) {
      const dir = join(mount, this.path);
      if (existsSync(dir)) rm(dir);
    }
    return left;
  }
}
