/** The installer's file operations on the host's CNI directories (mounted into the container). */
import { createHash } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { InstallRecord } from "../install-plan.ts";

/** Digests by path, valid while the file's identity, size and times are unchanged. */
const digests = new Map<string, { key: string; sha256: string }>();

/**
 * SHA-256 of a file, or undefined when it does not exist. The installer re-checks every minute,
 * and the plugin is a ~110 MB executable on both sides: a file whose inode, size, mtime and
 * ctime are unchanged keeps its digest instead of being read again. Read in 1 MiB chunks: reading
 * it whole needed that much heap inside the installer's small memory limit (OOM-killed at 128 MiB).
 */
export function sha256File(path: string): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    digests.delete(path);
    return undefined;
  }
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = digests.get(path);
  if (known?.key === key) return known.sha256;
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest("hex");
  digests.set(path, { key, sha256 });
  return sha256;
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
