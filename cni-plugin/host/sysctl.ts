import { readFileSync, writeFileSync } from "node:fs";
import { assertHome } from "./netns.ts";

/**
 * Kernel settings through /proc/sys. A /proc/sys/net file belongs to the namespace of the thread
 * that opens it, so each access first checks that this thread is in the plugin's own namespace.
 */
export function writeSysctl(path: string, value: string): void {
  assertHome();
  writeFileSync(path, value);
}

/** The value, trimmed; undefined when the file does not exist (e.g. the interface is gone). */
export function readSysctl(path: string): string | undefined {
  assertHome();
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}
