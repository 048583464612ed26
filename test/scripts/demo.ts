// The routed demo (README: `npm run demo`), on one machine: etcd + kube-apiserver, the
// controller, an underlay segment 192.0.2.0/24 with 3 nodes (each a network namespace running
// gobgpd and petrel-agent), BIRD as the top-of-rack router peering with every node over eBGP,
// and 2 pods per node wired by the CNI plugin. It shows `kubectl get ippools`, the blocks, the
// BGP sessions, the routes the ToR learned, and a ping matrix between all pods; then it stays up
// until `npm run demo -- down` (or Ctrl-C) tears it down.
//   node test/scripts/demo.ts up      bring it up and keep it running (foreground)
//   node test/scripts/demo.ts once    bring it up, show everything, tear it down, exit 0/1
//   node test/scripts/demo.ts down    stop a running demo (by the pid it recorded)
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { birdRoutes, birdSessions } from "../support/bird.ts";
import { repoRoot } from "../support/repo-root.ts";
import { RoutedCluster, type Pod } from "../support/routed-cluster.ts";

const pidFile = "/run/petrel-demo.pid";
const mode = process.argv[2] ?? "up";

function down(): void {
  if (!existsSync(pidFile)) {
    console.log("no running demo");
    return;
  }
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, "SIGTERM");
    console.log(`asked the demo (pid ${pid}) to tear down`);
  } catch {
    console.log(`the demo (pid ${pid}) is not running; removing what it left`);
    // Its processes died with it (pdeathsig); only namespaces named after its pid can remain.
    const left = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(`ptl-demo-${pid}-`));
    for (const ns of left) spawnSync("ip", ["netns", "del", ns]);
    rmSync(pidFile, { force: true });
  }
}

function section(title: string, body: string): void {
  console.log(`\n== ${title}\n${body.trimEnd()}`);
}

function matrix(cluster: RoutedCluster, pods: readonly Pod[]): { text: string; failures: number } {
  const head = ["from \\ to", ...pods.map((p) => `${p.name}@${p.node.name}`)];
  const rows = [head];
  let failures = 0;
  for (const a of pods) {
    const row = [`${a.name}@${a.node.name} ${a.ip}`];
    for (const b of pods) {
      if (a === b) row.push("-");
      else {
        const ok = cluster.ping(a, b.ip, 2);
        if (!ok) failures++;
        row.push(ok ? "ok" : "FAIL");
      }
    }
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return { text: rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")).join("\n"), failures };
}

async function up(stay: boolean): Promise<number> {
  if (existsSync(pidFile)) down();
  writeFileSync(pidFile, String(process.pid));
  console.log("bringing up the Petrel demo: 3 nodes, a BIRD top-of-rack router, 6 pods");
  const cluster = await RoutedCluster.start({ nodes: 3, label: "demo", log: (l) => console.log(`  ${l}`) });
  let stopping = false;
  const teardown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\ntearing the demo down");
    await cluster.stop();
    rmSync(pidFile, { force: true });
    console.log("petrel demo removed");
    process.exit(code);
  };
  process.on("SIGTERM", () => void teardown(0));
  process.on("SIGINT", () => void teardown(0));
  try {
    await cluster.waitReady();
    const pods: Pod[] = [];
    for (const n of cluster.nodes) for (let i = 0; i < 2; i++) pods.push(await cluster.addPod(n));
    // Wait for the mesh: every node routes every other node's block.
    for (let i = 0; i < 300; i++) {
      const ready = cluster.nodes.every((n) => [...cluster.routes(n).values()].filter((g) => g !== "blackhole").length >= cluster.nodes.length - 1);
      const tor = cluster.tor;
      const torReady = tor !== undefined && [...birdSessions(tor).values()].every((s) => s === "Established") && birdRoutes(tor).size >= cluster.nodes.length;
      if (ready && torReady) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    section("kubectl get ippools", await cluster.rig.kubectlOk(["get", "ippools"]));
    section("kubectl get ipamblocks", await cluster.rig.kubectlOk(["get", "ipamblocks"]));
    section("kubectl get petrelnodes", await cluster.rig.kubectlOk(["get", "petrelnodes"]));
    const petrelctl = join(repoRoot, "dist", "bin", "petrelctl");
    if (existsSync(petrelctl)) {
      const r = spawnSync(petrelctl, [`--kubeconfig=${cluster.rig.kubeconfigPath}`, "node", "status"], { encoding: "utf8" });
      section("petrelctl node status", r.stdout + r.stderr);
    }
    for (const n of cluster.nodes) {
      section(`routes on ${n.name} (${n.address})`, spawnSync("ip", ["-n", n.netns, "route"], { encoding: "utf8" }).stdout);
    }
    if (cluster.tor !== undefined) {
      section("top-of-rack router (BIRD): birdc show route", spawnSync("birdc", ["-s", cluster.tor.socket, "show", "route"], { encoding: "utf8" }).stdout);
    }
    const m = matrix(cluster, pods);
    section("ping matrix (pods across nodes, plain routing, no encapsulation)", m.text);
    console.log(m.failures === 0 ? "\nall pods reach each other" : `\n${m.failures} pings failed`);
    if (!stay) {
      await teardown(m.failures === 0 ? 0 : 1);
      return m.failures === 0 ? 0 : 1;
    }
    console.log(`\nthe demo keeps running (pid ${process.pid}); kubeconfig: ${cluster.rig.kubeconfigPath}`);
    console.log(`  kubectl: ${join(cluster.rig.binDir, "kubectl")} --kubeconfig ${cluster.rig.kubeconfigPath} get ippools`);
    console.log("stop it with `npm run demo -- down` (or Ctrl-C)");
    await new Promise(() => {});
    return 0;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    await teardown(1);
    return 1;
  }
}

if (mode === "down") down();
else if (mode === "up" || mode === "once") process.exitCode = await up(mode === "up");
else {
  console.error("usage: demo.ts up|once|down");
  process.exit(2);
}
