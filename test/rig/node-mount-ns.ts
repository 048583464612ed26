// A test node's own file-system view: a persistent mount namespace in which some host paths
// (/opt/cni/bin, /etc/cni/net.d, /var/lib/petrel, ...) are bind mounts of directories the node
// owns. Several kubelet nodes on one machine share its file system; a Helm chart's hostPath
// volumes and the runtime's CNI directories are node-local on a real cluster, so each node's
// containerd and kubelet run inside a namespace of this kind and see their own copies there,
// under the chart's default paths.
//
// The namespace is a copy of the host's taken at create() (every mount on this machine is
// private: nothing made inside reaches the host, nothing the host mounts later appears inside).
// It stays alive through a bind mount of its nsfs file at <dir>/mnt-ns/ns (`unshare --mount=`),
// so programs join it with `nsenter --mount=<file>`; remove() unmounts that file, and the kernel
// drops the namespace and everything mounted in it once its last process is gone.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { must, run, type ProcessResult } from "./run-process.ts";

/**
 * Host directories made as mount points, with the number of live namespaces of this process that
 * use them. Removed only when the last one goes: removing a directory on the host detaches
 * whatever is mounted on it in every other mount namespace (another node's copy included).
 */
const madeTargets = new Map<string, number>();

export class NodeMountNs {
  /** The nsfs bind mount: `nsenter --mount=<file>`. */
  readonly file: string;
  /** Host path -> the node's directory mounted over it inside. */
  readonly paths: Readonly<Record<string, string>>;
  readonly #holder: string;
  /** Host directories made as mount points (they did not exist), removed again when empty. */
  readonly #createdTargets: string[];

  private constructor(file: string, holder: string, paths: Record<string, string>, createdTargets: string[]) {
    this.file = file;
    this.#holder = holder;
    this.paths = paths;
    this.#createdTargets = createdTargets;
  }

  /**
   * Makes the namespace under `dir`, with `<dir>/paths/<path with / as ->` mounted over each of
   * `targets` (absolute host paths; a missing one is created on the host as an empty mount point).
   */
  static create(dir: string, targets: readonly string[]): NodeMountNs {
    const holder = join(dir, "mnt-ns");
    mkdirSync(holder, { recursive: true });
    // unshare --mount=FILE needs FILE on a mount that is not shared: a private bind of its own.
    must(["mount", "--bind", holder, holder]);
    must(["mount", "--make-private", holder]);
    const file = join(holder, "ns");
    writeFileSync(file, "");
    const paths: Record<string, string> = {};
    const created: string[] = [];
    try {
      for (const target of targets) {
        if (!target.startsWith("/")) throw new Error(`NodeMountNs: ${target} is not an absolute path`);
        const source = join(dir, "paths", target.slice(1).replaceAll("/", "-"));
        mkdirSync(source, { recursive: true });
        paths[target] = source;
        const made = [...madeTargets.keys()].find((m) => target === m || target.startsWith(`${m}/`));
        if (made !== undefined) {
          created.push(made);
          madeTargets.set(made, (madeTargets.get(made) ?? 0) + 1);
        } else if (!existsSync(target)) {
          // The topmost missing ancestor: what remove() takes away again, after the last user.
          let top = target;
          while (!existsSync(dirname(top))) top = dirname(top);
          mkdirSync(target, { recursive: true });
          created.push(top);
          madeTargets.set(top, 1);
        }
        mkdirSync(target, { recursive: true });
      }
      const script = ["set -e", ...Object.entries(paths).map(([t, s]) => `mount --bind ${JSON.stringify(s)} ${JSON.stringify(t)}`)].join("\n");
      must(["unshare", `--mount=${file}`, "--propagation", "private", "--", "/bin/sh", "-c", script]);
    } catch (err) {
      run(["umount", file]);
      run(["umount", holder]);
      for (const d of created) release(d);
      throw err;
    }
    return new NodeMountNs(file, holder, paths, created);
  }

  /** argv prefix that runs a command inside: `nsenter --mount=<file> --`. */
  enter(): string[] {
    return ["/usr/bin/nsenter", `--mount=${this.file}`, "--"];
  }

  /** Runs a command inside; never throws. */
  run(argv: readonly string[]): ProcessResult {
    return run([...this.enter(), ...argv]);
  }

  must(argv: readonly string[]): string {
    return must([...this.enter(), ...argv]);
  }

  /** Mount points inside at or below `dir` (from the namespace's mountinfo), deepest first. */
  mountsUnder(dir: string): string[] {
    const r = this.run(["cat", "/proc/self/mountinfo"]);
    const out: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const point = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (point !== undefined && (point === dir || point.startsWith(`${dir}/`))) out.push(point);
    }
    return out.reverse();
  }

  /**
   * Drops the namespace: unmounts what is mounted inside under `dirs` (pod volumes, overlay roots,
   * pods' network namespaces: a "reboot" loses them all), then the nsfs file, and removes the
   * mount points it made on the host (when empty). Processes still inside keep the namespace
   * alive until they exit. Idempotent.
   */
  remove(dirs: readonly string[] = []): void {
    if (existsSync(this.file) && run(["mountpoint", "-q", this.file]).status === 0) {
      for (const d of dirs) for (const p of this.mountsUnder(d)) if (this.run(["umount", p]).status !== 0) this.run(["umount", "-l", p]);
      // Pods' network namespaces (containerd's /run/netns/cni-*) were mounted inside only: their
      // mount-point files are on the host's /run and would look like stale namespaces there.
      const hostMounted = new Set(hostMountPoints());
      for (const p of this.mountsUnder("/run/netns")) {
        this.run(["umount", "-l", p]);
        if (!hostMounted.has(p)) rmSync(p, { force: true });
      }
      run(["umount", this.file]);
    }
    if (run(["mountpoint", "-q", this.#holder]).status === 0) run(["umount", this.#holder]);
    for (const d of this.#createdTargets.splice(0)) release(d);
  }
}

/** One user less of a mount point this process made; the last one removes it (when empty). */
function release(dir: string): void {
  const users = (madeTargets.get(dir) ?? 1) - 1;
  if (users > 0) {
    madeTargets.set(dir, users);
    return;
  }
  madeTargets.delete(dir);
  removeEmptyTree(dir);
}

function hostMountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((p) => p !== "");
}

/** Removes `dir` and its subdirectories if they hold no files. */
function removeEmptyTree(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeEmptyTree(join(dir, e.name));
    rmdirSync(dir);
  } catch {
    // not empty (someone else's files) or busy: leave it
  }
}
