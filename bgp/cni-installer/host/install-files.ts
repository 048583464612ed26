/** The installer's file operations on the host's CNI directories (mounted into the container). */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { InstallRecord } from "../install-plan.ts";

export function sha256File(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Copies next to the destination and renames over it: the runtime executing `petrel` or reading
 * the conflist at that moment sees the old file or the new one, never a half-written one (and a
 * running executable is not overwritten in place, which would fail with ETXTBSY).
 */
export function installFile(source: string, dest: string, mode: number): void {
  const tmp = join(dirname(dest), `.${basename(dest)}.petrel-tmp`);
  copyFileSync(source, tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, dest);
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

const emptyRecord: InstallRecord = { files: [] };

export function readRecord(path: string): InstallRecord {
  if (!existsSync(path)) return emptyRecord;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { files?: unknown };
    if (!Array.isArray(parsed.files)) return emptyRecord;
    const files = parsed.files.filter((f): f is { path: string; sha256: string } =>
      typeof f === "object" && f !== null && typeof (f as { path?: unknown }).path === "string" && typeof (f as { sha256?: unknown }).sha256 === "string");
    return { files };
  } catch {
    // A torn or foreign file: start a new record (this only costs a later uninstall its precision).
    return emptyRecord;
  }
}

export function writeRecord(path: string, record: InstallRecord): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, path);
}
