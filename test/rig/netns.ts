import { existsSync } from "node:fs";
import { must, run, type ProcessResult } from "./run-process.ts";

/**
 * Named network namespaces made by one process (a test file, a bench, the demo): the one netns
 * helper. Names carry the caller's label and pid (`ptl-<label>-<pid>-<n>`) so that cleanup removes
 * exactly what this process made, never by a broad pattern.
 */
export class NetnsSet {
  private readonly made: string[] = [];
  private counter = 0;

  private readonly label: string;

  constructor(label: string) {
    this.label = label;
  }

  /** Creates `ptl-<label>-<pid>-<n>` and returns its name; loopback is brought up. */
  create(): string {
    const name = `ptl-${this.label}-${process.pid}-${this.counter++}`;
    must(["ip", "netns", "add", name]);
    this.made.push(name);
    must(["ip", "-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  /** Deletes one namespace made here (e.g. to test DEL after the netns is gone); false if it is still there. */
  remove(name: string): boolean {
    run(["ip", "netns", "del", name]);
    if (netnsExists(name)) return false;
    const i = this.made.indexOf(name);
    if (i >= 0) this.made.splice(i, 1);
    return true;
  }

  /** Deletes every namespace made here; returns the names that could not be removed. */
  removeAll(): string[] {
    return [...this.made].filter((name) => !this.remove(name));
  }

  /** Interfaces other than `lo` still present in these namespaces, as `<netns>:<ifname>` (a DEL that left something). */
  leftoverLinks(): string[] {
    const out: string[] = [];
    for (const ns of this.made) {
      const r = run(["ip", "-n", ns, "-j", "link", "show"]);
      if (r.status !== 0) continue;
      const links = JSON.parse(r.stdout || "[]") as Array<{ ifname: string }>;
      for (const l of links) if (l.ifname !== "lo") out.push(`${ns}:${l.ifname}`);
    }
    return out;
  }

  /**
   * Removes the namespaces that a process of this label left when it died without cleaning up
   * (e.g. a demo killed by SIGKILL), found by that process's own pid in their names.
   */
  static removeLeftoversOf(label: string, pid: number): string[] {
    const prefix = `ptl-${label}-${pid}-`;
    const left = run(["ip", "netns", "list"]).stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(prefix));
    for (const ns of left) run(["ip", "netns", "del", ns]);
    return left;
  }
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

export function inNetns(name: string, argv: readonly string[]): ProcessResult {
  return run(["ip", "netns", "exec", name, ...argv]);
}

export function ipJson<T>(netns: string | undefined, args: readonly string[]): T {
  const argv = netns === undefined ? ["ip", "-j", ...args] : ["ip", "-n", netns, "-j", ...args];
  const out = must(argv).trim();
  return (out === "" ? [] : JSON.parse(out)) as T;
}

export function linkExists(name: string, netns?: string): boolean {
  const argv = netns === undefined ? ["ip", "link", "show", "dev", name] : ["ip", "-n", netns, "link", "show", "dev", name];
  return run(argv).status === 0;
}

export function netnsExists(name: string): boolean {
  return existsSync(netnsPath(name));
}

/** Fails loudly (never skips) when the suite is not run as root: CI must run these tests. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("privileged tests need root (network namespaces, veth, sysctls): run `sudo npm test`");
  }
}
