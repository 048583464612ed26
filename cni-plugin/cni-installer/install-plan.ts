/**
 * What the node DaemonSet's `install-cni` container does to the host's CNI directories, as pure
 * decisions over file digests, so the rules are unit-tested without a host:
 *  - Petrel's own files (the `petrel` executable, the conflist) are written whenever the host's
 *    copy differs: an upgrade replaces them, a deleted conflist comes back at the next check.
 *  - Reference plugins shipped for the chain (`portmap`) are written only where the host has none:
 *    a distribution's own plugin is never replaced, and never removed by our uninstall.
 *  - Uninstall removes exactly the files the record says Petrel wrote, and only while they still
 *    hold what Petrel wrote (someone else's later copy stays). Whether it is an uninstall at all
 *    (the DaemonSet gone, not a rolling update, a drain or a restart) is common/release-gone.ts.
 */

export type InstallPolicy = "replace" | "if-absent";

export interface InstallItem {
  /** Absolute destination path on the host. */
  readonly dest: string;
  /** Absolute source path inside the container. */
  readonly source: string;
  readonly sha256: string;
  readonly policy: InstallPolicy;
}

/** The installer's own record (in the node state directory) of the files it wrote. */
export interface InstallRecord {
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

export interface InstallDecision {
  /** Items to (re)write. */
  readonly write: readonly InstallItem[];
  /** Items left alone, with the reason (for the log). */
  readonly keep: readonly { readonly item: InstallItem; readonly reason: string }[];
  /** The record after the writes succeed. */
  readonly record: InstallRecord;
}

/**
 * @param present digest of each destination as it is on the host now (undefined: absent)
 * @param record what an earlier run wrote (an empty record when none)
 */
export function planInstall(items: readonly InstallItem[], present: ReadonlyMap<string, string | undefined>, record: InstallRecord): InstallDecision {
  const write: InstallItem[] = [];
  const keep: { item: InstallItem; reason: string }[] = [];
  const ours = new Map(record.files.map((f) => [f.path, f.sha256]));
  const next = new Map<string, string>();
  for (const item of items) {
    const now = present.get(item.dest);
    if (now === item.sha256) {
      keep.push({ item, reason: "up to date" });
      if (ours.has(item.dest)) next.set(item.dest, item.sha256);
      continue;
    }
    // A reference plugin counts as ours to replace only if we wrote the copy that is there.
    const wroteIt = now !== undefined && ours.get(item.dest) === now;
    if (item.policy === "if-absent" && now !== undefined && !wroteIt) {
      keep.push({ item, reason: "the host already has its own copy" });
      continue;
    }
    write.push(item);
    next.set(item.dest, item.sha256);
  }
  // Files recorded earlier but no longer shipped stay recorded, so uninstall still removes them.
  for (const f of record.files) if (!next.has(f.path) && !items.some((i) => i.dest === f.path)) next.set(f.path, f.sha256);
  return { write, keep, record: { files: [...next].map(([path, sha256]) => ({ path, sha256 })).sort((a, b) => a.path.localeCompare(b.path)) } };
}

/** Files to delete on uninstall: recorded by us and still holding what we wrote. */
export function planUninstall(record: InstallRecord, present: ReadonlyMap<string, string | undefined>): string[] {
  return record.files.filter((f) => present.get(f.path) === f.sha256).map((f) => f.path);
}
