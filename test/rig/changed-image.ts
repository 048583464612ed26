// A "changed image" for upgrade drills: an OCI archive's image with one more label (so a new
// config, image ID and digest) under a new tag, built with buildah in a throw-away vfs store.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { must } from "./run-process.ts";

/** Returns the new archive (in `outDir`) and the new reference `<repository>:<tag>-<suffix>`. */
export function changedImage(archive: string, ref: string, suffix: string, outDir: string): { archive: string; ref: string; tag: string } {
  const work = mkdtempSync(join(outDir, ".changed-"));
  const colon = ref.lastIndexOf(":");
  const tag = `${ref.slice(colon + 1)}-${suffix}`;
  const newRef = `${ref.slice(0, colon)}:${tag}`;
  const out = join(outDir, `${ref.slice(0, colon).replaceAll("/", "-")}-${tag}.oci.tar`);
  try {
    const buildah = ["buildah", "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs"];
    const ctr = must([...buildah, "from", "--quiet", `oci-archive:${archive}`]).trim();
    must([...buildah, "config", "--label", `dev.petrel.test.changed=${suffix}`, ctr]);
    must([...buildah, "commit", "--quiet", ctr, newRef]);
    rmSync(out, { force: true });
    must([...buildah, "push", "--quiet", newRef, `oci-archive:${out}:${newRef}`]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { archive: out, ref: newRef, tag };
}
