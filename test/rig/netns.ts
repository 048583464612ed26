import { existsSync } from "node:fs";
import { must, run, type RunResult } from "./sh.ts";

/**
 * Named network namespaces made by one test file. Names carry the test's own prefix and pid so
 * that cleanup removes exactly what this process made, never by a broad pattern.
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

  /** Deletes one namespace made here (e.g. to test DEL after the netns is gone). */
  remove(name: string): void {
    run(["ip", "netns", "del", name]);
    const i = this.made.indexOf(name);
    if (i >= 0) this.made.splice(i, 1);
  }

  removeAll(): void {
    for (const name of [...this.made]) this.remove(name);
  }
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

export function inNetns(name: string, argv: readonly string[]): RunResult {
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
