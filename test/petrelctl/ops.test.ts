// petrelctl's operator commands against a real kube-apiserver: --version, kubectl's --context and
// -o, the kubectl plugin (the rig's real kubectl runs kubectl-petrel), shell completion in a real
// bash, `ipam show --ip` from the API and from a node's state directory and routes (a real
// network namespace with a real /32 route and veth), and `diags` (a real archive, read back with
// tar). No kubelet here: a node whose Petrel pod does not exist is the "cannot be asked" case.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { hostVethName } from "../../common/pod-veth.ts";
import type { AddressReport, NodeRawFacts } from "../../bgp/petrelctl/address-report.ts";
import { block, pool } from "../../bgp/petrelctl/testing/objects.ts";
import { KubeRig, runProcess, type ProcessResult } from "../rig/rig.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { must, run } from "../rig/run-process.ts";

requireRoot();
jest.setTimeout(120_000);

const bin = join(repoRoot, "dist", "bin");
const petrelctl = join(bin, "petrelctl");
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
let rig: KubeRig;
let work: string;
const ns = new NetnsSet("pops");

const ctl = (args: readonly string[], env: readonly string[] = []): Promise<ProcessResult> =>
  runProcess("env", ["-u", "KUBECONFIG", "-u", "NODE_NAME", `PATH=${bin}:${rig.binDir}:/usr/sbin:/usr/bin:/sbin:/bin`, ...env, petrelctl, `--kubeconfig=${rig.kubeconfigPath}`, ...args]);

async function ok(method: string, path: string, body: unknown): Promise<void> {
  const r = await rig.request(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
}

beforeAll(async () => {
  rig = await KubeRig.start();
  work = mkdtempSync("/tmp/petrelctl-ops-");
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  for (const [path, body] of [
    ["/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } }],
    ["/api/v1/namespaces/default/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } }],
  ] as const) {
    const r = await rig.request("POST", path, body);
    if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path}: HTTP ${r.status}`);
  }
  await rig.addNode("node-a", {}, { internalIP: "192.0.2.11" });
  await ok("POST", "/apis/petrel.dev/v1alpha1/ippools", pool("default", "198.18.0.0/16"));
  await ok("POST", "/apis/petrel.dev/v1alpha1/ipamblocks", block("198.18.0.0/26", "node-a", "default"));
  await ok("POST", "/api/v1/namespaces/default/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1" }, spec: { nodeName: "node-a", containers: [{ name: "c", image: "registry.invalid/x:1" }] } });
  const r = await rig.request("PATCH", "/api/v1/namespaces/default/pods/web-1/status", { status: { phase: "Running", podIP: "198.18.0.5", podIPs: [{ ip: "198.18.0.5" }] } }, "application/merge-patch+json");
  if (r.status >= 300) throw new Error(`pod status: HTTP ${r.status}`);
}, 300_000);

afterAll(async () => {
  ns.removeAll();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
  await rig?.stop();
});

test("--version: version, commit, build date, runtime; the plugin adds its CNI spec versions", async () => {
  const r = await ctl(["--version"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^petrelctl ${version.replaceAll(".", "\\.")}\ncommit: +[0-9a-f]{40}(-dirty)?\nbuilt: +\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\nruntime: +bun \\d`));
  const build = JSON.parse(readFileSync(join(repoRoot, "dist", "build-info.json"), "utf8")) as { commit: string; date: string };
  for (const program of ["petrel", "petrel-agent", "petrel-controller", "petrel-cni-installer", "petrelctl"]) {
    const v = await runProcess(join(bin, program), ["--version"]);
    expect([program, v.status, v.stdout.split("\n").slice(0, 3)]).toEqual([program, 0, [`${program} ${version}`, expect.stringContaining(build.commit), expect.stringContaining(build.date)]]);
  }
  expect((await runProcess(join(bin, "petrel"), ["--version"])).stdout).toContain("CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
  // The runtime's VERSION stays the spec's: one JSON document.
  const spec = await runProcess("env", ["CNI_COMMAND=VERSION", join(bin, "petrel")]);
  expect(JSON.parse(spec.stdout)).toEqual({ cniVersion: "1.1.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
});

test("kubectl petrel: the real kubectl runs kubectl-petrel, with --context and -o yaml|wide", async () => {
  // A kubeconfig whose current context is broken; --context picks the rig's.
  const kc = parseYaml(readFileSync(rig.kubeconfigPath, "utf8")) as { contexts: { name: string; context: unknown }[]; clusters: { name: string; cluster: unknown }[]; "current-context": string };
  const good = kc["current-context"];
  kc.clusters.push({ name: "broken", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } });
  kc.contexts.push({ name: "broken", context: { cluster: "broken", user: (kc.contexts[0]?.context as { user: string }).user } });
  kc["current-context"] = "broken";
  const file = join(work, "two-contexts.kubeconfig");
  writeFileSync(file, JSON.stringify(kc));
  const kubectl = (args: readonly string[]) => runProcess("env", ["-u", "KUBECONFIG", `PATH=${bin}:${rig.binDir}:/usr/bin:/bin`, "kubectl", "petrel", `--kubeconfig=${file}`, ...args]);
  const broken = await kubectl(["ipam", "show"]);
  expect(broken.status).toBe(2);
  expect(broken.stderr).toContain("cannot reach the API server at https://127.0.0.1:1");
  const yaml = await kubectl(["--context", good, "ipam", "show", "-o", "yaml"]);
  expect(yaml.status).toBe(0);
  expect(parseYaml(yaml.stdout)).toMatchObject({ pools: [{ name: "default", cidr: "198.18.0.0/16" }], blocks: [{ node: "node-a", cidr: "198.18.0.0/26" }] });
  const wide = await kubectl(["--context", good, "ipam", "show", "-o", "wide"]);
  expect(wide.stdout).toMatch(/^NODE +BLOCK +NAME +POOL/m);
  const nope = await kubectl(["--context", "nope", "ipam", "show"]);
  expect(nope.status).toBe(2);
  expect(nope.stderr).toContain(`--context: the kubeconfig has no context "nope"; it has ${good}, broken`);
  expect((await kubectl(["--help"])).stdout).toMatch(/^Usage: kubectl petrel /);
});

test("completion: bash completes commands, flags and -o values through petrelctl __complete", async () => {
  const script = (await ctl(["completion", "bash"])).stdout;
  writeFileSync(join(work, "completion.bash"), script);
  const completeIn = (words: string[]) => {
    const r = run(["bash", "-c", `source ${join(work, "completion.bash")}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _petrelctl; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
    if (r.status !== 0) throw new Error(`bash completion failed: ${r.stderr}`);
    return r.stdout.trim().split("\n");
  };
  expect(completeIn([petrelctl, "ip"])).toEqual(["ipam"]);
  expect(completeIn([petrelctl, "ipam", ""])).toEqual(["show", "check"]);
  expect(completeIn([petrelctl, "ipam", "show", "-o", ""])).toEqual(["table", "wide", "json", "yaml"]);
  expect(completeIn([petrelctl, "diags", "--no"])).toEqual(["--node"]);
  expect((await ctl(["completion", "zsh"])).stdout).toMatch(/^#compdef petrelctl kubectl-petrel/);
  const kubectlComplete = await runProcess("env", [`PATH=${bin}:/usr/bin:/bin`, join(bin, "kubectl_complete-petrel"), "ipam", "s"]);
  expect(kubectlComplete.stdout).toBe("show\n:4\n");
});

test("ipam show --ip from the API: the node cannot be asked (no Petrel pod), unknown and bad addresses", async () => {
  const r = await ctl(["ipam", "show", "--ip", "198.18.0.5"]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^POOL +default \(198\.18\.0\.0\/16\)$/m);
  expect(r.stdout).toMatch(/^NODE +node-a$/m);
  expect(r.stdout).toMatch(/^POD +default\/web-1 \(Running, on node-a\)$/m);
  expect(r.stdout).toContain("WARNING: no facts from node node-a: no Petrel node pod runs on node-a");
  const json = JSON.parse((await ctl(["ipam", "show", "--ip", "198.18.0.5", "-o", "json"])).stdout) as AddressReport;
  expect(json.block?.name).toBe("198-18-0-0-26");
  const outside = await ctl(["ipam", "show", "--ip", "203.0.113.7"]);
  expect(outside.status).toBe(1);
  expect(outside.stdout).toContain("WARNING: 203.0.113.7 is in no IPPool (default 198.18.0.0/16): it is not a Petrel pod address");
  const free = await ctl(["ipam", "show", "--ip", "198.18.1.1"]);
  expect(free.status).toBe(1);
  expect(free.stdout).toContain("in pool default but in no IPAMBlock");
  const bad = await ctl(["ipam", "show", "--ip", "198.18.0.5/32"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('--ip: "198.18.0.5/32" is not an IPv4 or IPv6 address');
});

test("ipam show --ip on the node: its record, the veth and the /32 route, read in the node's namespace", async () => {
  const node = ns.create();
  const stateDir = join(work, "state");
  mkdirSync(join(stateDir, "allocations"), { recursive: true });
  const container = "0123abcd";
  const veth = hostVethName("petrel", container, "eth0");
  symlinkSync(`petrel/${container}/eth0`, join(stateDir, "allocations", "198.18.0.5"));
  // Node facts need no API: what petrelctl runs in the node's pod.
  const factsIn = async () => JSON.parse(must(["ip", "netns", "exec", node, petrelctl, "ipam", "show", "--ip", "198.18.0.5", "--node-facts", "--state-dir", stateDir, "--node", "node-a"])) as NodeRawFacts;
  expect(await factsIn()).toEqual({ node: "node-a", stateDir, record: `petrel/${container}/eth0`, routes: [], link: undefined });
  // The pod's wiring as the plugin makes it: a veth named by the rule, a scope-link /32, proto 89.
  must(["ip", "-n", node, "link", "add", veth, "type", "veth", "peer", "name", "ptl-test-peer"]);
  must(["ip", "-n", node, "link", "set", veth, "up"]);
  must(["ip", "-n", node, "route", "add", "198.18.0.5/32", "dev", veth, "scope", "link", "proto", "89"]);
  const facts = await factsIn();
  expect(facts.routes).toEqual([expect.objectContaining({ dst: "198.18.0.5", dev: veth, protocol: "89", scope: "link" })]);
  expect(facts.link?.ifname).toBe(veth);
  const noDir = await ctl(["ipam", "show", "--ip", "198.18.0.5", "--node-facts", "--state-dir", "/nonexistent", "--node", "node-a"]);
  expect(noDir.status).toBe(2);
  expect(noDir.stderr).toContain("--state-dir: cannot read /nonexistent");
});

test("diags: one archive with versions, objects and reports; an unknown node is a usage error", async () => {
  const archive = join(work, "diags.tar.gz");
  const r = await ctl(["diags", "-f", archive]);
  // No Petrel pods here: nothing node-local to collect, so nothing is missing.
  expect([r.status, r.stdout.trim(), r.stderr.split("\n").filter((l) => l.includes("not collected"))]).toEqual([0, archive, []]);
  const files = must(["tar", "-tzf", archive]).trim().split("\n");
  const top = files[0]?.split("/")[0] ?? "";
  expect(top).toMatch(/^petrel-diags-\d{8}T\d{6}Z$/);
  expect(files.map((f) => f.slice(top.length + 1)).sort()).toEqual(expect.arrayContaining([
    "README.txt", "versions.txt", "cluster/ippools.yaml", "cluster/ipamblocks.yaml", "cluster/nodes.yaml", "cluster/petrel-pods.yaml",
    "reports/ipam-check.txt", "reports/ipam-show.txt", "reports/node-status.txt",
  ]));
  const read = (f: string) => must(["tar", "-xzOf", archive, `${top}/${f}`]);
  expect(read("versions.txt")).toMatch(/^petrelctl \S+\ncommit: /);
  expect(read("versions.txt")).toMatch(/^kube-apiserver v1\.\d+\.\d+/m);
  expect(read("reports/ipam-show.txt")).toContain("198.18.0.0/26");
  expect(parseYaml(read("cluster/ippools.yaml"))).toMatchObject({ items: [{ metadata: { name: "default" } }] });
  const unknown = await ctl(["diags", "--node", "node-typo", "-f", join(work, "x.tar.gz")]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('--node: the cluster has no Node "node-typo" (it has node-a)');
  // A node with no Petrel pod: the archive is written, errors.txt says why that part is missing.
  const partial = await ctl(["diags", "--node", "node-a", "-f", join(work, "y.tar.gz")]);
  expect(partial.status).toBe(1);
  expect(must(["tar", "-xzOf", join(work, "y.tar.gz"), "--wildcards", "*/errors.txt"])).toContain("node node-a: no Petrel node pod runs there");
});
