// Container images for tests that run real pods (test/rig/kubelet-node.ts), built on this
// machine from sources it already has, so that no test pulls from a registry:
//
//  - pause: Kubernetes' own pause container (build/pause/linux/pause.c of the pinned
//    k8s.io/kubernetes release, from the Go module cache), compiled with `gcc -Os -static` as its
//    Makefile does, alone in a scratch image that runs as 65535 like registry.k8s.io/pause;
//  - busybox: Debian's busybox-static (/bin/busybox) with a symlink per applet (sh, sleep, ping,
//    ip, wget, nc, ...), for test pods.
//
// Each is built with buildah (in a throw-away storage, so the machine's image store is not
// touched) and saved as an OCI archive under $PETREL_CACHE/test-images, named by a hash of
// everything it is built from: a later call with the same inputs returns the cached archive.
// A runtime loads an archive with `ctr -n k8s.io images import` (KubeletNode does).
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { K8S_VERSION } from "./versions.ts";
import { petrelCache } from "./binaries.ts";
import { goModuleDir } from "./go-modules.ts";
import { must } from "./run-process.ts";

export interface TestImage {
  /** Image reference as pods name it, e.g. localhost/petrel-test/pause:3.10.2. */
  readonly ref: string;
  /** OCI archive (`oci-archive:` layout in a tar) holding exactly this image, tagged `ref`. */
  readonly archive: string;
}

const registry = "localhost/petrel-test";
const busyboxPath = "/bin/busybox";

export function testImageDir(): string {
  return join(petrelCache(), "test-images");
}

export interface ImageSpec {
  /** Default localhost/petrel-test; the e2e images use the names the upstream suite pulls. */
  registry?: string;
  name: string;
  tag: string;
  /** Everything the image is made from; the archive is rebuilt when this changes. */
  inputs: readonly (string | Buffer)[];
  /** Fills the (empty) root file system directory of the single layer. */
  fill: (rootfs: string) => void;
  /** `buildah config` flags. */
  config: readonly string[];
}

export function ensureImage(spec: ImageSpec): TestImage {
  const ref = `${spec.registry ?? registry}/${spec.name}:${spec.tag}`;
  const hash = createHash("sha256");
  for (const input of [ref, ...spec.config, ...spec.inputs]) hash.update(input).update("\0");
  const digest = hash.digest("hex").slice(0, 16);
  const dir = testImageDir();
  const archive = join(dir, `${spec.name.replaceAll("/", "-")}-${spec.tag}-${digest}.oci.tar`);
  if (existsSync(archive)) return { ref, archive };

  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, `.build-${spec.name.replaceAll("/", "-")}-`));
  try {
    const rootfs = join(work, "rootfs");
    mkdirSync(rootfs);
    spec.fill(rootfs);
    const layer = join(work, "layer.tar");
    // File capabilities (security.capability) travel in the layer: CoreDNS binds :53 as non-root by one.
    must(["tar", "--numeric-owner", "--owner=0", "--group=0", "--xattrs", "--xattrs-include=security.capability", "-C", rootfs, "-cf", layer, "."]);
    // A private store: vfs needs no mounts, and the machine's containers-storage stays untouched.
    const buildah = ["buildah", "--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs"];
    const ctr = must([...buildah, "from", "--quiet", "scratch"]).trim();
    must([...buildah, "add", "--quiet", ctr, layer, "/"]);
    must([...buildah, "config", "--os", "linux", "--arch", "amd64", "--label", `dev.petrel.test.inputs=${digest}`, ...spec.config, ctr]);
    must([...buildah, "commit", "--quiet", ctr, ref]);
    const partial = join(work, "image.oci.tar");
    must([...buildah, "push", "--quiet", ref, `oci-archive:${partial}:${ref}`]);
    // Renamed into place only when complete: a concurrent or interrupted build never leaves a
    // half-written archive under the final name.
    renameSync(partial, archive);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ref, archive };
}

/** Kubernetes' pause image, built from the pinned release's source; tag = its Makefile's TAG. */
export function pauseImage(as: { registry: string; name: string } | undefined = undefined): TestImage {
  const src = join(goModuleDir("k8s.io/kubernetes", K8S_VERSION), "build", "pause");
  const source = readFileSync(join(src, "linux", "pause.c"));
  const tag = /^TAG \?= (\S+)$/m.exec(readFileSync(join(src, "Makefile"), "utf8"))?.[1];
  if (tag === undefined) throw new Error(`no TAG in ${join(src, "Makefile")}`);
  // The Makefile's flags; VERSION is what `pause -v` prints.
  const cflags = ["-Os", "-Wall", "-Werror", "-static", `-DVERSION=v${tag}-petrel-test`];
  const gcc = must(["gcc", "--version"]).split("\n")[0] ?? "";
  return ensureImage({
    ...(as === undefined ? { name: "pause" } : as),
    tag,
    inputs: [source, gcc, ...cflags],
    fill: (rootfs) => {
      const c = join(dirname(rootfs), "pause.c");
      writeFileSync(c, source);
      must(["gcc", ...cflags, "-o", join(rootfs, "pause"), c]);
    },
    config: ["--entrypoint", '["/pause"]', "--user", "65535:65535"],
  });
}

/** Debian's busybox-static as an image; tag = the Debian package version (1:1.35.0-4+deb12u1 -> 1.35.0-4-deb12u1). */
export function busyboxImage(as: { registry: string; name: string; tag: string } | undefined = undefined): TestImage {
  if (!existsSync(busyboxPath)) throw new Error(`${busyboxPath} is missing: apt-get install busybox-static`);
  const version = must(["dpkg-query", "-W", "-f=${Version}", "busybox-static"]).trim();
  const tag = version.replace(/^\d+:/, "").replace(/[^A-Za-z0-9_.-]/g, "-");
  const binary = readFileSync(busyboxPath);
  // e.g. "bin/sh", "usr/bin/wget": the paths busybox --install would use.
  const applets = must([busyboxPath, "--list-full"]).split("\n").filter((l) => l !== "");
  return ensureImage({
    ...(as === undefined ? { name: "busybox", tag } : as),
    inputs: [binary, ...applets],
    fill: (rootfs) => {
      for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root"]) mkdirSync(join(rootfs, d), { recursive: true });
      mkdirSync(join(rootfs, "tmp"), { mode: 0o1777 });
      chmodSync(join(rootfs, "tmp"), 0o1777);
      copyFileSync(busyboxPath, join(rootfs, "bin", "busybox"));
      chmodSync(join(rootfs, "bin", "busybox"), 0o755);
      for (const applet of applets) {
        const target = join(rootfs, applet);
        if (!existsSync(target)) symlinkSync("/bin/busybox", target);
      }
      writeFileSync(join(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
      writeFileSync(join(rootfs, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
    },
    config: ["--cmd", '["sh"]'],
  });
}
