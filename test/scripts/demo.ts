// One-node demo of the CNI plugin: see test/scripts/demo.sh. Everything it makes is named
// petrel-demo-*, and `down` removes exactly those names.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const petrel = join(root, "dist", "bin", "petrel");
const node = "petrel-demo-node";
const lan = "petrel-demo-lan";
const pods = ["petrel-demo-pod-a", "petrel-demo-pod-b", "petrel-demo-pod-c"];
const stateDir = "/tmp/petrel-demo-state";
const config = JSON.stringify({ cniVersion: "1.0.0", name: "petrel-demo", type: "petrel", mtu: 1500, stateDir, ipam: { blocks: ["198.18.0.0/26"] } });

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function cni(command: "ADD" | "DEL", pod: string): string {
  const r = spawnSync("ip", ["netns", "exec", node, petrel], {
    input: config, encoding: "utf8",
    env: { ...process.env, CNI_COMMAND: command, CNI_CONTAINERID: pod, CNI_NETNS: `/var/run/netns/${pod}`, CNI_IFNAME: "eth0", CNI_PATH: "/usr/lib/cni" },
  });
  if (r.status !== 0) throw new Error(`petrel ${command} ${pod}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function down(): void {
  for (const pod of pods) {
    if (existsSync(`/var/run/netns/${pod}`)) cni("DEL", pod);
    spawnSync("ip", ["netns", "del", pod]);
  }
  spawnSync("ip", ["netns", "del", node]);
  spawnSync("ip", ["netns", "del", lan]);
  rmSync(stateDir, { recursive: true, force: true });
  console.log("petrel demo removed");
}

function up(): void {
  down();
  mkdirSync(stateDir, { recursive: true });
  sh(["ip", "netns", "add", node]);
  sh(["ip", "netns", "add", lan]);
  sh(["ip", "-n", node, "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", lan]);
  sh(["ip", "-n", node, "addr", "add", "192.0.2.1/24", "dev", "ul0"]);
  sh(["ip", "-n", lan, "addr", "add", "192.0.2.254/24", "dev", "ul0"]);
  for (const ns of [node, lan]) {
    sh(["ip", "-n", ns, "link", "set", "ul0", "up"]);
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
  sh(["ip", "-n", node, "route", "add", "default", "via", "192.0.2.254"]);
  const addresses: Record<string, string> = {};
  for (const pod of pods) {
    sh(["ip", "netns", "add", pod]);
    const result = JSON.parse(cni("ADD", pod)) as { ips: Array<{ address: string }> };
    addresses[pod] = (result.ips[0]?.address ?? "").replace("/32", "");
    console.log(`${pod}: ${result.ips[0]?.address}`);
  }
  console.log(`\nnode ${node} routes:\n${sh(["ip", "-n", node, "route"])}`);
  console.log("ping matrix (from row to column):");
  const targets = [...pods, node];
  const ips: Record<string, string> = { ...addresses, [node]: "192.0.2.1" };
  console.log(["from \\ to", ...targets.map((t) => t.replace("petrel-demo-", ""))].map((c) => c.padEnd(10)).join(" "));
  for (const from of pods) {
    const cells = targets.map((to) => {
      if (to === from) return "-";
      const r = spawnSync("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "1", ips[to] as string]);
      return r.status === 0 ? "ok" : "FAIL";
    });
    console.log([from.replace("petrel-demo-", ""), ...cells].map((c) => c.padEnd(10)).join(" "));
  }
  console.log("\nthe demo keeps running; remove it with: npm run demo -- down");
}

if (process.argv[2] === "down") down();
else up();
