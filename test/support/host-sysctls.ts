// Root-namespace sysctls that Petrel or a test changes, read and restored by the test itself, so
// that the suite passes whatever the machine's settings are and leaves them as it found them.
// (A freshly booted machine has net.ipv4.ip_forward=0; the CNI plugin turns it on at ADD.)
import { readFileSync, writeFileSync } from "node:fs";

const path = (key: string) => `/proc/sys/${key.replaceAll(".", "/")}`;

export function readSysctl(key: string): string {
  return readFileSync(path(key), "utf8").trim();
}

export function writeSysctl(key: string, value: string): void {
  writeFileSync(path(key), value);
}

/** The root namespace's forwarding switches: the plugin's ADD turns them on (docs/cni-plugin.md). */
export const forwardingSysctls = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] as const;

/**
 * Sets each key to its value now and returns a function that puts the values read before back.
 * Restoring is in reverse order and keeps going past a failure, then throws with every failure.
 */
export function overrideSysctls(values: Readonly<Record<string, string>>): () => void {
  const before = Object.keys(values).map((key) => [key, readSysctl(key)] as const);
  for (const [key, value] of Object.entries(values)) writeSysctl(key, value);
  return () => restore(before);
}

/** Reads the keys now; the returned function writes back any that changed since. */
export function snapshotSysctls(keys: readonly string[]): () => void {
  const before = keys.map((key) => [key, readSysctl(key)] as const);
  return () => restore(before);
}

function restore(before: ReadonlyArray<readonly [string, string]>): void {
  const errors: string[] = [];
  for (const [key, value] of [...before].reverse()) {
    try {
      if (readSysctl(key) !== value) writeSysctl(key, value);
    } catch (err) {
      errors.push(`${key}=${value}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`could not restore host sysctls: ${errors.join("; ")}`);
}
