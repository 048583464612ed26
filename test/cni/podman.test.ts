/**
 * Petrel under a real container runtime: podman 4 with its CNI backend (libcni 1.1), runc, and a
 * conflist chaining petrel + portmap, exactly as an operator would install it. podman gets a
 * private storage root, run root, tmp dir and containers.conf, so nothing here touches (or is
 * touched by) any other podman use on the machine.
 */
import { decodeRecord } from "../../common/allocation-record.ts";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, copyFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { requirePetrelBuilt } from "../support/cni.ts";
import { makePluginDir } from "../support/plugin-dir.ts";
import { getWhenReady, makeHostPortClient, natRulesMentioning, type HostPortClient } from "../support/hostport-client.ts";
import { overrideSysctls, readSysctl } from "../support/host-sysctls.ts";
import { NetnsSet, ipJson, linkExists, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun, pluginPath } from "../rig/no-ip-path.ts";
import { run, type ProcessResult } from "../rig/run-process.ts";

const network = `ptlpod${process.pid}`;
const block = "198.18.62.0/26"; // only this file uses it
const podAddress = /inet (198\.18\.62\.([0-9]+))\/32 /;
const libcniCache = "/var/lib/cni/results"; // libcni's default cache dir, shared with the host
const containerPort = 8080;
const hostPort = 40000 + (process.pid % 20000); // chain.test.ts uses 20000-39999

let dir = "";
let plugins: { dir: string; cleanup: () => void } | undefined;
const netns = new NetnsSet("podman");
let client: HostPortClient | undefined;
const containers: string[] = [];
const token = `petrel-podman-${process.pid}`;

const paths = {
  rootfs: () => join(dir, "rootfs"),
  state: () => join(dir, "state"),
  allocations: () => join(dir, "state", "allocations"),
  conf: () => join(dir, "containers.conf"),
};

function requireTool(argv: string[], pkg: string): void {
  if (run(argv).status !== 0) throw new Error(`\`${argv.join(" ")}\` failed: install it with \`apt-get install -y ${pkg}\``);
}

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  requireTool(["podman", "--version"], "podman");
  requireTool(["runc", "--version"], "runc");
  // Statically linked, so it runs in a rootfs with nothing else in it.
  if (!existsSync("/bin/busybox")) throw new Error("/bin/busybox is missing: install it with `apt-get install -y busybox-static`");
  dir = mkdtempSync("/tmp/petrel-podman-");
  plugins = makePluginDir("podman");
  mkdirSync(join(paths.rootfs(), "bin"), { recursive: true });
  mkdirSync(join(paths.rootfs(), "www"));
  copyFileSync("/bin/busybox", join(paths.rootfs(), "bin", "busybox"));
  for (const applet of ["sh", "ip", "cat", "httpd"]) symlinkSync("busybox", join(paths.rootfs(), "bin", applet));
  writeFileSync(join(paths.rootfs(), "www", "index.html"), token);
  mkdirSync(join(dir, "netconf"));
  // libcni 1.1 (podman 4.3 on Debian 12) speaks CNI 1.0.0 at most.
  const conflist = {
    cniVersion: "1.0.0",
    name: network,
    plugins: [
      { type: "petrel", mtu: 1500, stateDir: paths.state(), ipam: { blocks: [block] } },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
  writeFileSync(join(dir, "netconf", `${network}.conflist`), JSON.stringify(conflist, null, 2));
  // cgroupfs and file events: PID 1 here is not systemd. tmp_dir: podman's default /run/libpod is shared.
  writeFileSync(
    paths.conf(),
    [
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `tmp_dir = "${join(dir, "tmp")}"`,
      "[network]",
      'network_backend = "cni"',
      `cni_plugin_dirs = ["${plugins.dir}"]`,
      `network_config_dir = "${join(dir, "netconf")}"`,
      "",
    ].join("\n"),
  );
});

afterAll(() => {
  for (const name of containers) podman(["rm", "-f", "-t", "0", name]);
  client?.remove();
  netns.removeAll();
  // libcni's cache entries are named <network>-<container>-<ifname>; the network name is ours alone.
  if (existsSync(libcniCache)) {
    for (const f of readdirSync(libcniCache)) if (f.startsWith(`${network}-`)) rmSync(join(libcniCache, f), { force: true });
  }
  if (dir !== "") {
    // A container that failed to stop may leave mounts (e.g. its /dev/shm) under the podman root.
    const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "");
    for (const m of mounts.filter((p) => p.startsWith(`${dir}/`)).reverse()) run(["umount", "-l", m]);
    rmSync(dir, { recursive: true, force: true });
  }
  plugins?.cleanup();
});

function podman(args: readonly string[]): ProcessResult {
  // libcni hands podman's own environment to the plugins: their PATH has traps for ip and nsenter.
  const env = { ...process.env, PATH: pluginPath(), CONTAINERS_CONF: paths.conf() };
  return run(["podman", "--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--runtime", "runc", ...args], { env });
}

function mustPodman(args: readonly string[]): string {
  const r = podman(args);
  if (r.status !== 0) throw new Error(`podman ${args.join(" ")} failed (${r.status}):\n${r.stderr.trim()}`);
  return r.stdout;
}

/** Flags every container here needs: our network, limits runc may set here, our rootfs. */
function runFlags(name: string): string[] {
  containers.push(name);
  return ["--name", name, "--network", network, "--ulimit", "nofile=10000:10000", "--ulimit", "nproc=1000:1000", "--rootfs", paths.rootfs()];
}

/** Addresses with an allocation record (dot-files are the allocator's bookkeeping). */
function allocatedAddresses(): string[] {
  if (!existsSync(paths.allocations())) return [];
  return readdirSync(paths.allocations()).filter((n) => !n.startsWith("."));
}

test("a container on the petrel network gets a /32 from the block and a default route via 169.254.1.1", () => {
  const script = "ip -o -4 addr show dev eth0; echo ---; ip -4 route show; echo ---; cat /proc/net/route";
  const out = mustPodman(["run", "--rm", ...runFlags(`ptl-pod-${process.pid}-a`), "/bin/sh", "-c", script]);
  const [addr = "", routes = "", procRoute = ""] = out.split("---\n");
  const m = podAddress.exec(addr);
  expect(m).not.toBeNull();
  expect(Number(m?.[2])).toBeLessThan(64); // inside 198.18.62.0/26
  expect(routes).toMatch(/^default via 169\.254\.1\.1 dev eth0/m);
  expect(routes).toMatch(/^169\.254\.1\.1 dev eth0 scope link/m);
  // The kernel's own table, not busybox's rendering: default (0.0.0.0/0) via 169.254.1.1 (0101FEA9).
  expect(procRoute).toMatch(/^eth0\s+00000000\s+0101FEA9\s+0003\s/m);
  // --rm ran CNI DEL: the address is free again.
  expect(allocatedAddresses()).toEqual([]);
});

test("podman -p reaches a container through portmap on a node with forwarding off, and rm -f frees the address and the veth", async () => {
  // As on a freshly booted node: Petrel's ADD must turn IPv4 forwarding on for the DNATed traffic.
  const restoreSysctls = overrideSysctls({ "net.ipv4.ip_forward": "0" });
  try {
    await podmanPublishesAPort();
  } finally {
    restoreSysctls();
  }
});

async function podmanPublishesAPort(): Promise<void> {
  const name = `ptl-pod-${process.pid}-b`;
  const cid = mustPodman(["run", "-d", "-p", `${hostPort}:${containerPort}`, ...runFlags(name), "/bin/busybox", "httpd", "-f", "-p", String(containerPort), "-h", "/www"]).trim();
  expect(cid).toMatch(/^[0-9a-f]{64}$/);

  const mine = allocatedAddresses().filter((ip) => {
    const r = decodeRecord(ip, readlinkSync(join(paths.allocations(), ip)));
    return r?.network === network && r.containerId === cid && r.ifname === "eth0";
  });
  expect(mine).toHaveLength(1);
  // The host end of the container's eth0, found through the kernel (iflink is the peer's index).
  const peerIndex = Number(mustPodman(["exec", name, "cat", "/sys/class/net/eth0/iflink"]).trim());
  const hostLink = ipJson<{ ifindex: number; ifname: string; address: string }[]>(undefined, ["link", "show"]).find((l) => l.ifindex === peerIndex);
  expect(hostLink?.ifname).toMatch(/^ptl[0-9a-f]{12}$/);
  expect(hostLink?.address).toBe("ee:ee:ee:ee:ee:ee");
  expect(readSysctl("net.ipv4.ip_forward")).toBe("1");
  const veth = hostLink?.ifname ?? "";

  client = makeHostPortClient(netns, "p");
  const answer = await getWhenReady(client, hostPort, 10_000);
  expect(answer.stderr).toBe("");
  expect(answer.stdout).toBe(token);
  expect(natRulesMentioning(cid).length).toBeGreaterThan(0);

  mustPodman(["rm", "-f", "-t", "0", name]);
  expect(allocatedAddresses()).not.toContain(mine[0]);
  expect(linkExists(veth)).toBe(false);
  expect(natRulesMentioning(cid)).toEqual([]);
  expect(existsSync(join(libcniCache, `${network}-${cid}-eth0`))).toBe(false);
  expect(client.get(hostPort, 2).status).not.toBe(0);
}

test("petrel ran no ip or nsenter under podman (PATH had only traps for them)", () => {
  assertNoIpRun();
});
