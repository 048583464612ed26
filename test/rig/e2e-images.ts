// The images that the upstream e2e suite (and the multi-node rig's CoreDNS) pulls, built on this
// machine under the exact names the suite asks for (test/utils/image/manifest.go of the pinned
// Kubernetes release), so that with imagePullPolicy IfNotPresent nothing is ever pulled:
//
//  - registry.k8s.io/e2e-test-images/agnhost:<test/images/agnhost/VERSION>: the agnhost binary
//    built from the pinned release (build-k8s.sh), on Debian 12 with the tools its Dockerfile
//    installs from Alpine (curl, nc, dig, ip/ss, iperf, bash), /agnhost-2, /uploads, the porter
//    test certificate, user 1000 and group 50000; ENTRYPOINT /agnhost, CMD pause.
//  - registry.k8s.io/e2e-test-images/glibc-dns-testing: Debian 12 with dnsutils (its Dockerfile:
//    a Debian base with dnsutils), the DNS tests' glibc resolver prober.
//  - registry.k8s.io/e2e-test-images/nginx:1.15-4: Debian 12's nginx-light, `nginx -g daemon off;`.
//  - registry.k8s.io/e2e-test-images/busybox:1.37.0-1: Debian's busybox-static (1.35; the tests
//    use only sh and a few applets).
//  - registry.k8s.io/pause:<build/pause TAG>: Kubernetes' pause (test-images.ts), as the kubelet's
//    sandbox image and for the tests that name it.
//  - registry.k8s.io/coredns/coredns:<COREDNS_VERSION>: the CoreDNS binary from build-k8s.sh alone
//    in a scratch image (as upstream's distroless-static one), user 65532.
//
// The Debian ones start from the debootstrap rootfs that helm/images/build.sh caches (its
// --print-rootfs), with packages installed by apt in a chroot; the input hash carries the
// rootfs's archive state, so an unchanged archive reuses the cached archives.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, appendFileSync, copyFileSync, chmodSync } from "node:fs";
import { basename, join } from "node:path";
import { defaultBinDir } from "./binaries.ts";
import { COREDNS_VERSION, K8S_VERSION } from "./versions.ts";
import { goModuleDir } from "./go-modules.ts";
import { repoRoot } from "./repo-root.ts";
import { must } from "./run-process.ts";
import { busyboxImage, ensureImage, pauseImage, type TestImage } from "./test-images.ts";

const e2eRegistry = "registry.k8s.io/e2e-test-images";

/** The image tags of the pinned release's test/utils/image/manifest.go, by its identifier (Agnhost, BusyBox, ...). */
export function manifestTags(): Map<string, string> {
  const src = readFileSync(join(goModuleDir("k8s.io/kubernetes", K8S_VERSION), "test", "utils", "image", "manifest.go"), "utf8");
  const tags = new Map<string, string>();
  for (const m of src.matchAll(/configs\[(\w+)\] = Config\{list\.\w+, "([^"]+)", "([^"]+)"\}/g)) {
    const [, id = "", , tag = ""] = m;
    tags.set(id, tag);
  }
  return tags;
}

function tagOf(tags: Map<string, string>, id: string): string {
  const t = tags.get(id);
  if (t === undefined) throw new Error(`test/utils/image/manifest.go of ${K8S_VERSION} has no configs[${id}]`);
  return t;
}

let rootfsCache: string | undefined;
/** The cached Debian 12 minbase rootfs of helm/images/build.sh (made on first use: a few minutes). */
export function debianRootfs(): string {
  rootfsCache ??= must([join(repoRoot, "helm", "images", "build.sh"), "--print-rootfs"]).trim();
  return rootfsCache;
}

const inRoot = (dir: string, argv: readonly string[]): string =>
  must(["chroot", dir, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "HOME=/root", ...argv]);

/** Copies the Debian rootfs into `dir` and installs `packages` there; drops apt's caches. */
function debianWith(dir: string, packages: readonly string[]): void {
  cpSync(debianRootfs(), dir, { recursive: true, verbatimSymlinks: true });
  if (packages.length > 0) {
    inRoot(dir, ["apt-get", "update", "-qq"]);
    inRoot(dir, ["apt-get", "install", "-y", "-qq", ...packages]);
    inRoot(dir, ["apt-get", "clean"]);
  }
  must(["rm", "-rf", join(dir, "var/lib/apt/lists"), join(dir, ".petrel-rootfs-complete"), join(dir, "usr/sbin/policy-rc.d")]);
  writeFileSync(join(dir, "etc/machine-id"), "");
  must(["rm", "-f", join(dir, "etc/resolv.conf"), join(dir, "etc/hostname")]);
}

const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

function binary(name: string): string {
  const path = join(defaultBinDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run test/rig/build-k8s.sh`);
  return path;
}

export function agnhostImage(tags = manifestTags()): TestImage {
  const agnhost = binary("agnhost");
  const src = join(goModuleDir("k8s.io/kubernetes", K8S_VERSION), "test", "images", "agnhost");
  // iputils-ping: the fault drills ping from agnhost pods (Alpine's busybox has ping; Debian's base does not).
  const packages = ["curl", "netcat-openbsd", "bind9-dnsutils", "iproute2", "iperf", "bash", "procps", "iputils-ping"];
  return ensureImage({
    registry: e2eRegistry,
    name: "agnhost",
    tag: tagOf(tags, "Agnhost"),
    inputs: [basename(debianRootfs()), ...packages, sha(agnhost)],
    fill: (rootfs) => {
      debianWith(rootfs, packages);
      copyFileSync(agnhost, join(rootfs, "agnhost"));
      chmodSync(join(rootfs, "agnhost"), 0o755);
      symlinkSync("agnhost", join(rootfs, "agnhost-2"));
      mkdirSync(join(rootfs, "uploads"));
      for (const f of ["localhost.crt", "localhost.key"]) copyFileSync(join(src, "porter", f), join(rootfs, f));
      // The Dockerfile's adduser/addgroup, for the SupplementalGroups tests.
      appendFileSync(join(rootfs, "etc/passwd"), "user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n");
      appendFileSync(join(rootfs, "etc/group"), "user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n");
    },
    config: ["--entrypoint", '["/agnhost"]', "--cmd", '["pause"]', "--workingdir", "/", "--port", "80", "--port", "8080", "--port", "8081", "--port", "9376", "--port", "5000"],
  });
}

export function glibcDnsTestingImage(tags = manifestTags()): TestImage {
  const packages = ["bind9-dnsutils"];
  return ensureImage({
    registry: e2eRegistry,
    name: "glibc-dns-testing",
    tag: tagOf(tags, "GlibcDnsTesting"),
    inputs: [basename(debianRootfs()), ...packages],
    fill: (rootfs) => debianWith(rootfs, packages),
    config: ["--cmd", '["/bin/sh"]'],
  });
}

export function nginxImage(tags = manifestTags()): TestImage {
  const packages = ["nginx-light"];
  return ensureImage({
    registry: e2eRegistry,
    name: "nginx",
    tag: tagOf(tags, "Nginx"),
    inputs: [basename(debianRootfs()), ...packages],
    fill: (rootfs) => debianWith(rootfs, packages),
    config: ["--cmd", '["nginx","-g","daemon off;"]', "--port", "80"],
  });
}

export function corednsImage(): TestImage {
  const coredns = binary("coredns");
  return ensureImage({
    registry: "registry.k8s.io/coredns",
    name: "coredns",
    tag: COREDNS_VERSION,
    inputs: [sha(coredns), "setcap cap_net_bind_service=+ep"],
    fill: (rootfs) => {
      copyFileSync(coredns, join(rootfs, "coredns"));
      chmodSync(join(rootfs, "coredns"), 0o755);
      // As upstream's Dockerfile: the non-root user binds :53 through this file capability (the
      // addon manifest drops every capability but NET_BIND_SERVICE, which a non-root process only
      // gets in its effective set this way).
      must(["setcap", "cap_net_bind_service=+ep", join(rootfs, "coredns")]);
      mkdirSync(join(rootfs, "etc"));
      writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
      writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnonroot:x:65532:\n");
    },
    config: ["--entrypoint", '["/coredns"]', "--user", "65532:65532"],
  });
}

/** The sandbox image under the name the kubelet and the suite expect. */
export function upstreamPauseImage(): TestImage {
  return pauseImage({ registry: "registry.k8s.io", name: "pause" });
}

/** The suite's busybox (Debian's busybox-static under the upstream name). */
export function e2eBusyboxImage(tags = manifestTags()): TestImage {
  return busyboxImage({ registry: e2eRegistry, name: "busybox", tag: tagOf(tags, "BusyBox") });
}

/** Every image the conformance run and the rig's add-ons need. */
export function e2eImages(): TestImage[] {
  const tags = manifestTags();
  return [
    upstreamPauseImage(),
    agnhostImage(tags),
    glibcDnsTestingImage(tags),
    nginxImage(tags),
    e2eBusyboxImage(tags),
    corednsImage(),
  ];
}
