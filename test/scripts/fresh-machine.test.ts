// The README's two commands on machines that lack things: their prerequisite checks
// (test/scripts/prereqs.sh through install-deps.sh --check) and the Go install step
// (test/scripts/go-toolchain.sh), on
//  - this machine as it is (the project's machine: Go at /usr/local/go);
//  - this machine without Go (a private mount namespace hides /usr/local/go; PATH has no go);
//  - this machine seen as a non-root user, and with too little disk for the cache;
//  - a plain Debian 12: a chroot of a debootstrap'ed minbase rootfs (the one helm/images/build.sh
//    caches, else a new one), where go-toolchain.sh really installs Debian's golang-go and then
//    go1.26.8 from the Go module proxy, and `go version` runs it.
// Costs about 40 s warm (the .debs and the toolchain's zip are cached under $PETREL_CACHE);
// the first run downloads ~130 MB.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { petrelCache } from "../rig/binaries.ts";
import { requireRoot } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { run, type ProcessResult } from "../rig/run-process.ts";

requireRoot();

const scripts = ["install-deps.sh", "prereqs.sh", "go-toolchain.sh", "progress.sh"];
const work = mkdtempSync("/tmp/petrel-fresh-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A command in a private mount namespace in which /usr/local/go is an empty directory. */
function withoutGo(script: string, env: Record<string, string> = {}): ProcessResult {
  return run(["unshare", "-m", "--propagation", "private", "bash", "-c", `mount -t tmpfs none /usr/local/go && ${script}`], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", PETREL_CACHE: join(work, "cache"), ...env },
  });
}

test("the project's machine: every prerequisite is there, Go 1.26 at /usr/local/go", () => {
  const r = run(["bash", join(repoRoot, "test/scripts/install-deps.sh"), "--check"]);
  expect(r.stderr).toMatch(/^ {2}ok +running as root$/m);
  expect(r.stderr).toMatch(/^ {2}ok +Debian packages: all \d+ there$/m);
  expect(r.stderr).toMatch(/^ {2}ok +Go: \S+ \(go1\.(2[6-9]|[3-9]\d)[.\d]*\)$/m);
  // npm test runs install-deps.sh first, so nothing is left to install.
  expect([r.status, r.stderr]).toEqual([0, expect.not.stringContaining("install ")]);
  const go = run(["bash", join(repoRoot, "test/scripts/go-toolchain.sh")]);
  expect(go.status).toBe(0);
  expect(run([go.stdout.trim(), "version"]).stdout).toMatch(/^go version go1\.(2[6-9]|[3-9]\d)/);
});

test("no Go on the machine: the check says exactly what would be installed, from where", () => {
  const r = withoutGo(`bash ${join(repoRoot, "test/scripts/install-deps.sh")} --check`);
  expect(r.status).toBe(3);
  expect(r.stderr).toContain(`install   Go: Debian's golang-go (apt-get), then go1.26.8 from the Go module proxy (golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64) into ${join(work, "cache")}/go/mod (no Go >= 1.26 found)`);
  // A Go that is too old is named as such.
  mkdirSync(join(work, "oldgo"), { recursive: true });
  writeFileSync(join(work, "oldgo", "go"), "#!/bin/sh\necho 'go version go1.19.8 linux/amd64'\n", { mode: 0o755 });
  const old = withoutGo(`bash ${join(repoRoot, "test/scripts/go-toolchain.sh")} --check`, { PATH: `${join(work, "oldgo")}:/usr/bin:/bin` });
  expect(old.status).toBe(3);
  expect(old.stderr).toContain(`too old: ${join(work, "oldgo", "go")} (go1.19.8)`);
  expect(old.stderr).toContain(`would install: go1.26.8 from the Go module proxy (golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64) into ${join(work, "cache")}/go/mod, downloaded with ${join(work, "oldgo", "go")}`);
});

test("not root, or too little disk: MISSING, with what to do, and install-deps.sh stops before installing", () => {
  const user = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", join(repoRoot, "test/scripts/prereqs.sh")], { env: { PATH: "/usr/bin:/bin", PETREL_CACHE: join(work, "cache") } });
  expect(user.status).toBe(1);
  expect(user.stderr).toContain("MISSING   root: run as root (apt-get installs packages; the tests and the demo create network namespaces)");
  const small = withoutGo(`mkdir -p ${join(work, "small")} && mount -t tmpfs -o size=64m none ${join(work, "small")} && bash ${join(repoRoot, "test/scripts/install-deps.sh")}`, { PETREL_CACHE: join(work, "small") });
  expect(small.status).toBe(1);
  expect(small.stderr).toMatch(/MISSING +disk: 0 GiB free for \S+small, needs 12 GiB \(the Kubernetes binaries are not built yet\): free some, or set PETREL_CACHE/);
  expect(small.stderr).toContain("install-deps.sh: a prerequisite marked MISSING above needs fixing first");
  expect(small.stderr).not.toContain("== installing");
});

/** The newest complete minbase rootfs helm/images/build.sh cached, else a new one for this test. */
function plainRootfs(): string {
  const dir = join(petrelCache(), "rootfs");
  const cached = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, ".petrel-rootfs-complete"))).sort().at(-1) : undefined;
  if (cached !== undefined) return join(dir, cached);
  const own = join(petrelCache(), "fresh-machine-rootfs");
  if (!existsSync(join(own, ".complete"))) {
    rmSync(own, { recursive: true, force: true });
    const r = run(["debootstrap", "--variant=minbase", "--arch=amd64", "bookworm", own, process.env.DEBIAN_MIRROR ?? "http://deb.debian.org/debian"]);
    if (r.status !== 0) throw new Error(`debootstrap failed: ${r.stderr.slice(-2000)}`);
    writeFileSync(join(own, ".complete"), "");
  }
  return own;
}

test("a plain Debian 12 (a minbase chroot): the check lists what is missing; the Go step installs Go and it runs", () => {
  const root = join(work, "root");
  // cp -a: the rootfs has device nodes in /dev, which fs.cpSync refuses.
  const copy = run(["cp", "-a", plainRootfs(), root]);
  if (copy.status !== 0) throw new Error(`cp -a of the rootfs failed: ${copy.stderr}`);
  for (const f of ["etc/resolv.conf", "etc/hosts"]) cpSync(join("/", f), join(root, f));
  // The site's own CAs (this workplace reaches the registries through a TLS-inspecting proxy):
  // a fresh machine here has them too; ca-certificates' postinst adds them to the bundle.
  mkdirSync(join(root, "usr/local/share/ca-certificates"), { recursive: true });
  for (const f of readdirSync("/usr/local/share/ca-certificates")) cpSync(join("/usr/local/share/ca-certificates", f), join(root, "usr/local/share/ca-certificates", f));
  // Keep downloaded .debs (the cache below is shared between runs).
  rmSync(join(root, "etc/apt/apt.conf.d/90petrel"), { force: true });
  mkdirSync(join(root, "petrel/test/scripts"), { recursive: true });
  for (const s of scripts) cpSync(join(repoRoot, "test/scripts", s), join(root, "petrel/test/scripts", s));
  cpSync(join(repoRoot, "package-lock.json"), join(root, "petrel/package-lock.json"));
  expect(existsSync(join(root, "usr/bin/go"))).toBe(false);

  // The .debs and the toolchain's zip survive between runs; everything extracted stays in the chroot.
  const debs = join(petrelCache(), "fresh-machine-debs");
  const zips = join(petrelCache(), "go", "mod", "cache", "download");
  mkdirSync(join(debs, "partial"), { recursive: true });
  mkdirSync(zips, { recursive: true });
  mkdirSync(join(root, "var/cache/petrel/go/mod/cache/download"), { recursive: true });
  const chroot = (cmd: string) => `chroot ${root} /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 bash -c '${cmd}'`;
  const script = [
    "set -e",
    `mount -t proc proc ${root}/proc`,
    `mount --bind ${debs} ${root}/var/cache/apt/archives`,
    `mount --bind ${zips} ${root}/var/cache/petrel/go/mod/cache/download`,
    // The check first: everything the README's commands need is missing here.
    `${chroot("cd /petrel && bash test/scripts/install-deps.sh --check")} && echo CHECK-STATUS=0 || echo CHECK-STATUS=$?`,
    `${chroot("cd /petrel && bash test/scripts/go-toolchain.sh > /tmp/go-path")}`,
    `${chroot('"$(cat /tmp/go-path)" version')}`,
  ].join("\n");
  const t0 = Date.now();
  const r = run(["unshare", "-m", "--propagation", "private", "bash", "-c", script]);
  const seconds = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(`[fresh-machine] chroot: ${seconds} s\n${r.stderr.split("\n").filter((l) => /prereq|^ {2}\S|go-toolchain/.test(l)).join("\n")}\n`);
  expect(r.stdout).toContain("CHECK-STATUS=3");
  // (minbase has util-linux, tar and gzip already.)
  expect(r.stderr).toMatch(/^ {2}install +Debian packages \(apt-get\): iproute2 iputils-ping nftables iptables procps containernetworking-plugins podman runc busybox-static/m);
  expect(r.stderr).toContain("install   npm (Debian's npm, to bootstrap the pinned Node 24 from the npm registry)");
  expect(r.stderr).toContain("install   Go: Debian's golang-go (apt-get), then go1.26.8 from the Go module proxy");
  expect(r.stderr).toContain("go-toolchain.sh: no Go found: installing Debian's golang-go (go 1.19) to download go1.26.8 with");
  expect(r.stderr).toMatch(/go-toolchain\.sh: installed go1\.26\.8 at \/var\/cache\/petrel\/go\/mod\/golang\.org\/toolchain@v0\.0\.1-go1\.26\.8\.linux-amd64\/bin\/go/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^go version go1\.26\.8 linux\/amd64$/m);
  expect(readFileSync(join(root, "tmp/go-path"), "utf8").trim()).toBe("/var/cache/petrel/go/mod/golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/bin/go");
}, 600_000);
