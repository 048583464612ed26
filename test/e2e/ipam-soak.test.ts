// Churn soak on a real kubelet node (containerd 1.6): a Deployment scaled up and down across more
// addresses than one block holds (the pool's /28 blocks hold 16), so the controller adds blocks
// and drains them; meanwhile the agent is SIGKILLed and restarted, the apiserver is restarted, and
// sandboxes die or pods are force-deleted with their CNI DEL lost (a wrapper in the CNI bin dir
// swallows DEL for the containers listed in a file: from the plugin's side, a runtime that never
// calls DEL; containerd 1.6 never calls GC). Checked every second: no address is held by two
// running pods. At the end, after the agent's pod-GC grace period: every lost DEL's address was
// freed by the agent, `petrelctl ipam check` on the node exits 0, the records equal the running
// pods' addresses, and every petrel_agent_ipam_inconsistencies series is 0.
//
// Bounded: PETREL_SOAK_SECONDS of churn (default 120; longer runs with a larger value).
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { allocationsDir, decodeRecord } from "../../common/allocation-record.ts";
import { freePort } from "../rig/free-port.ts";
import { killAll, startProcess, type Started } from "../rig/start-process.ts";
import { referencePluginDir } from "../rig/binaries.ts";
import { petrelBinary } from "../support/cni.ts";
import { pinnedNode } from "../support/controller.ts";
import { killGobgpd, startGobgpd, type Gobgpd } from "../support/gobgpd.ts";
import { KubeletNode } from "../rig/kubelet-node.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";
import { NodeNetns } from "../rig/node-netns.ts";
import { sumSamples } from "../support/prom-text.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { agentBin, RoutedCluster, torAddress } from "../support/routed-cluster.ts";
import { must, run } from "../rig/run-process.ts";
import { busyboxImage } from "../rig/test-images.ts";

requireRoot();
jest.setTimeout(1_200_000);

const soakSeconds = Number(process.env.PETREL_SOAK_SECONDS ?? "120");
const nodeName = "kubelet-1";
const nodeIP = "192.0.2.101";
const podGcGraceS = 15;
const say = (line: string) => process.stderr.write(`[ipam-soak] ${line}\n`);

const ns = new NetnsSet("soak");
let net: NodeNetns | undefined;
let cluster: RoutedCluster | undefined;
let kubelet: KubeletNode | undefined;
let gobgpd: Gobgpd | undefined;
let agent: Started | undefined;
let work = "";
let stateDir = "";
let swallowFile = "";
let agentPort = 0;

function startAgent(): Started {
  if (cluster === undefined || gobgpd === undefined || net === undefined) throw new Error("not set up");
  return startProcess("petrel-agent-soak", pinnedNode, [
    agentBin, `--kubeconfig=${cluster.rig.kubeconfigPath}`, `--node-name=${nodeName}`, `--gobgp-address=${gobgpd.address}`,
    `--state-dir=${stateDir}`, `--netns=${net.name}`, `--health-address=127.0.0.1:${agentPort}`, "--namespace=default",
    "--resync-period=5s", "--route-settle-time=5s", "--status-interval=500ms", "--ipam-check-period=2s",
    `--pod-gc-grace-period=${podGcGraceS}s`, "--log-level=debug",
  ], join(work, "agent.log"));
}

beforeAll(async () => {
  net = NodeNetns.create(ns);
  cluster = await RoutedCluster.start({ nodes: 0, label: "sk", withTor: false, poolCidr: "198.18.64.0/24", poolBlockSize: 28, rig: { listenAddress: net.apiAddress }, log: say });
  await cluster.rig.startControlPlaneControllers();
  await cluster.rig.kubectlOk(["apply", "-f", join(repoRoot, "crds", "admission", "ipamblock-protection.yaml")]);
  cluster.plugUnderlay(net.name, "kn", nodeIP);
  must(["ip", "-n", net.name, "route", "add", "default", "via", torAddress]);
  must(["ip", "netns", "exec", net.name, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  work = mkdtempSync("/tmp/petrel-soak-");
  stateDir = join(work, "state");
  swallowFile = join(work, "lose-del-of");
  writeFileSync(swallowFile, "");
  const binDir = join(work, "bin");
  const confDir = join(work, "net.d");
  for (const d of [binDir, confDir, stateDir]) mkdirSync(d);
  // The runtime's view of "petrel": the real plugin, except that DEL of the listed containers is lost.
  writeFileSync(join(binDir, "petrel"), `#!/bin/sh\nif [ "$CNI_COMMAND" = DEL ] && [ -n "$CNI_CONTAINERID" ] && grep -qxF "$CNI_CONTAINERID" ${swallowFile}; then exit 0; fi\nexec ${petrelBinary} "$@"\n`);
  chmodSync(join(binDir, "petrel"), 0o755);
  copyFileSync(join(referencePluginDir, "loopback"), join(binDir, "loopback"));
  chmodSync(join(binDir, "loopback"), 0o755);
  writeFileSync(join(confDir, "10-petrel.conflist"), JSON.stringify({
    cniVersion: "1.0.0", cniVersions: ["1.0.0", "1.1.0"], name: "petrel",
    plugins: [{ type: "petrel", mtu: 1500, stateDir, logFile: join(work, "cni.log"), logLevel: "info" }],
  }));
  kubelet = await KubeletNode.start({ rig: cluster.rig, name: nodeName, netns: net.name, nodeIP, cniBinDir: binDir, cniConfDir: confDir, images: [busyboxImage().archive], log: say });
  gobgpd = await startGobgpd(nodeName, net.name, work);
  agentPort = await freePort();
  agent = startAgent();
  await kubelet.waitReady(180_000);
}, 900_000);

afterAll(async () => {
  const errors: unknown[] = [];
  const step = async (f: () => Promise<unknown> | unknown) => {
    try {
      await f();
    } catch (err) {
      errors.push(err);
    }
  };
  await step(() => cluster?.rig.kubectl(["delete", "deployment", "soak", "-n", "default", "--wait=false"]));
  await step(() => writeFileSync(swallowFile, ""));
  await step(() => kubelet?.stop());
  await step(() => (agent === undefined ? undefined : killAll([agent])));
  await step(() => (gobgpd === undefined ? undefined : killGobgpd(gobgpd)));
  await step(() => cluster?.stop());
  await step(() => net?.remove());
  await step(() => ns.removeAll());
  if (work !== "" && process.env.PETREL_RIG_KEEP !== "1") rmSync(work, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`cleanup: ${errors.map(String).join("; ")}`);
}, 300_000);

interface ApiPod { metadata: { name: string; uid: string; deletionTimestamp?: string }; status?: { phase?: string; podIP?: string } }

async function soakPods(): Promise<ApiPod[]> {
  const r = await cluster?.rig.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dsoak");
  if (r?.status !== 200) throw new Error(`listing pods: HTTP ${r?.status}`);
  return (r.body as { items: ApiPod[] }).items;
}

function records(): Map<string, string> {
  const dir = allocationsDir(stateDir);
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir)) {
    if (n.startsWith(".")) continue;
    try {
      out.set(n, decodeRecord(n, readlinkSync(join(dir, n)))?.containerId ?? "?");
    } catch {
      /* released while we read */
    }
  }
  return out;
}

async function agentMetrics(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${agentPort}/metrics`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const kind of ["record_without_pod", "pod_without_record", "record_outside_blocks", "route_without_record", "record_without_route"]) {
    // A kind that could not be checked has no series at all.
    if (text.includes(`petrel_agent_ipam_inconsistencies{kind="${kind}"`)) out.set(kind, sumSamples(text, "petrel_agent_ipam_inconsistencies", { kind }));
  }
  out.set("released", sumSamples(text, "petrel_agent_ipam_released_addresses_total"));
  return out;
}

test("churn: scale, kill the agent, restart the apiserver, lose DELs; no address twice, nothing leaked", async () => {
  const c = cluster as RoutedCluster;
  const k = kubelet as KubeletNode;
  await c.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "soak", namespace: "default" },
    spec: {
      replicas: 4, selector: { matchLabels: { app: "soak" } },
      template: {
        metadata: { labels: { app: "soak" } },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": nodeName }, terminationGracePeriodSeconds: 0,
          containers: [{ name: "main", image: busyboxImage().ref, imagePullPolicy: "Never", command: ["sleep", "3600"] }],
        },
      },
    },
  }));

  // --- the continuous check -----------------------------------------------------------------
  const lost: { address: string; container: string; at: number; how: string }[] = [];
  /** Lost DEL (container) -> when its address's record was first seen gone or changed. */
  const freedAt = new Map<string, number>();
  const noteFreed = () => {
    const now = records();
    for (const l of lost) if (!freedAt.has(l.container) && now.get(l.address) !== l.container) freedAt.set(l.container, Date.now());
  };
  const violations: string[] = [];
  const uidsSeen = new Set<string>();
  const holdersOf = new Map<string, Set<string>>(); // address -> pod uids that held it
  let monitoring = true;
  let checks = 0;
  const monitor = (async () => {
    while (monitoring) {
      try {
        const running = (await soakPods()).filter((p) => p.status?.phase === "Running" && p.metadata.deletionTimestamp === undefined && p.status.podIP !== undefined);
        const byIp = new Map<string, string[]>();
        for (const p of running) {
          const ip = p.status?.podIP ?? "";
          byIp.set(ip, [...(byIp.get(ip) ?? []), p.metadata.name]);
          uidsSeen.add(p.metadata.uid);
          holdersOf.set(ip, new Set([...(holdersOf.get(ip) ?? []), p.metadata.uid]));
        }
        for (const [ip, names] of byIp) if (names.length > 1) violations.push(`${new Date().toISOString()} ${ip} held by ${names.join(", ")}`);
        checks++;
        noteFreed();
      } catch {
        /* the apiserver is restarting */
      }
      await sleep(1000);
    }
  })();

  // --- churn --------------------------------------------------------------------------------
  let agentKills = 0;
  let apiRestarts = 0;
  let scales = 0;
  const deadline = Date.now() + soakSeconds * 1000;
  let step = 0;
  while (Date.now() < deadline) {
    step++;
    const action = step % 6;
    try {
      if (action === 1 || action === 4) {
        const replicas = 3 + Math.floor(Math.random() * 24); // up to 26: more than one /28 block
        await c.rig.kubectlOk(["scale", "deployment/soak", "-n", "default", `--replicas=${replicas}`]);
        scales++;
        say(`scale to ${replicas}`);
      } else if (action === 2 || action === 5) {
        // Lose the DEL of one running pod's sandbox: kill the sandbox, or force-delete the pod.
        const sandboxes = (await k.containerd.cri.listPodSandboxes()).filter((s) => s.state === "SANDBOX_READY" && s.metadata?.name.startsWith("soak-") === true);
        const sb = sandboxes[Math.floor(Math.random() * sandboxes.length)];
        const rec = [...records()].find(([, id]) => id === sb?.id);
        if (sb !== undefined && rec !== undefined) {
          appendFileSync(swallowFile, `${sb.id}\n`);
          const how = action === 2 ? "sandbox killed" : "pod force-deleted";
          if (action === 2) await k.ctr(["tasks", "kill", "-s", "SIGKILL", sb.id]);
          else await c.rig.kubectl(["delete", "pod", "-n", "default", sb.metadata?.name ?? "", "--grace-period=0", "--force"]);
          lost.push({ address: rec[0], container: sb.id, at: Date.now(), how });
          say(`${how}: ${sb.metadata?.name ?? ""} (${rec[0]}); its DEL will be lost`);
        }
      } else if (action === 3 && step % 12 === 3) {
        say("SIGKILL the agent; restart it 2 s later");
        agent?.child.kill("SIGKILL");
        await agent?.exited;
        await sleep(2000);
        agent = startAgent();
        agentKills++;
      } else if (action === 0 && step % 18 === 0) {
        say("restarting the apiserver (down 3 s)");
        await c.rig.restartApiserver(3000);
        apiRestarts++;
      }
    } catch (err) {
      say(`churn step ${step} failed (retrying later): ${String(err)}`);
    }
    await sleep(4000);
  }
  // --- settle -------------------------------------------------------------------------------
  await c.rig.kubectlOk(["scale", "deployment/soak", "-n", "default", "--replicas=5"]);
  await c.rig.kubectlOk(["rollout", "status", "deployment/soak", "-n", "default", "--timeout=300s"]);
  const freeDeadline = Date.now() + (podGcGraceS + 120) * 1000;
  for (;;) {
    noteFreed();
    if (freedAt.size === lost.length || Date.now() > freeDeadline) break;
    await sleep(1000);
  }
  let settled: string;
  const settleDeadline = Date.now() + 120_000;
  let check: { status: number; stdout: string; stderr: string };
  for (;;) {
    const running = (await soakPods()).filter((p) => p.status?.phase === "Running" && p.metadata.deletionTimestamp === undefined);
    const ips = running.map((p) => p.status?.podIP ?? "").sort();
    const recs = [...records().keys()].sort();
    const m = await agentMetrics();
    const kinds = ["record_without_pod", "pod_without_record", "record_outside_blocks", "route_without_record", "record_without_route"];
    const bad = kinds.filter((kind) => m.get(kind) !== 0);
    check = run([join(repoRoot, "dist", "bin", "petrelctl"), `--kubeconfig=${c.rig.kubeconfigPath}`, "ipam", "check", `--state-dir=${stateDir}`, `--node=${nodeName}`, "--check-routes", `--netns=${net?.name ?? ""}`]);
    settled = `records ${recs.join(",")} vs pods ${ips.join(",")}; metrics not 0: ${bad.map((b) => `${b}=${m.get(b) ?? "absent"}`).join(" ") || "none"}; petrelctl exit ${check.status}`;
    if (JSON.stringify(ips) === JSON.stringify(recs) && bad.length === 0 && check.status === 0) break;
    if (Date.now() > settleDeadline) break;
    await sleep(2000);
  }
  monitoring = false;
  await monitor;
  const reused = [...holdersOf.values()].filter((u) => u.size > 1).length;
  const freeTimes = lost.flatMap((l) => (freedAt.has(l.container) ? [((freedAt.get(l.container) ?? 0) - l.at) / 1000] : [])).sort((a, b) => a - b);
  const released = (await agentMetrics()).get("released") ?? 0;
  const events = await c.rig.request("GET", "/api/v1/namespaces/default/events?fieldSelector=reason%3DPetrelAddressReleased");
  const releaseEvents = (events.body as { items?: { message?: string }[] }).items ?? [];
  say([
    `soak ${soakSeconds} s: ${checks} duplicate checks, ${scales} scalings, ${agentKills} agent kills, ${apiRestarts} apiserver restarts`,
    `pods started ${uidsSeen.size}; addresses reused by a later pod ${reused}`,
    `DELs lost ${lost.length} (${lost.filter((l) => l.how === "sandbox killed").length} sandboxes killed, ${lost.filter((l) => l.how !== "sandbox killed").length} pods force-deleted); leaks freed ${freedAt.size} (petrel_agent_ipam_released_addresses_total of the last agent process: ${released})`,
    `time to free a lost DEL's address: min ${freeTimes[0]?.toFixed(1) ?? "-"} s, median ${freeTimes[Math.floor(freeTimes.length / 2)]?.toFixed(1) ?? "-"} s, max ${freeTimes.at(-1)?.toFixed(1) ?? "-"} s (grace period ${podGcGraceS} s)`,
    `Events PetrelAddressReleased in the pods' namespace: ${releaseEvents.length}${releaseEvents[0] === undefined ? "" : `, e.g. "${releaseEvents[0].message ?? ""}"`}`,
    `final: ${settled}`,
  ].join("\n"));
  expect(violations).toEqual([]);
  expect(lost.length).toBeGreaterThan(0);
  expect(freedAt.size).toBe(lost.length);
  expect(check.stdout).toMatch(/No problems found/);
  expect(settled).toMatch(/metrics not 0: none; petrelctl exit 0$/);
  expect(uidsSeen.size).toBeGreaterThan(16);
  expect(releaseEvents.length).toBeGreaterThan(0);
});
