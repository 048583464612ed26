// The chart offline: helm lint, golden renderings, the values schema, and the properties the
// issue asks of the rendered objects (least-privilege RBAC, 2 controller replicas with a PDB, the
// CNI install sidecar, probes). Golden files: UPDATE_GOLDEN=1 rewrites them after a reviewed change.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { chartDir, helm, helmOk, renderChart } from "../support/helm.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { createAgentMetrics } from "../../bgp/agent/metrics.ts";
import { createControllerMetrics } from "../../controller/metrics.ts";
import { dashboardQueries, declaredMetricNames, promqlMetricNames, scrapeSeries, type GrafanaDashboard } from "../support/promql-names.ts";
import { promtoolPath } from "../support/promtool.ts";
import { runProcess } from "../rig/run-process.ts";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };
const parse = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
const golden = (name: string) => join(__dirname, "golden", name);
const fullValues = join(__dirname, "values-full.yaml");

let defaults: Obj[];
let full: Obj[];
beforeAll(async () => {
  defaults = parse(await renderChart());
  full = parse(await renderChart(["-f", fullValues]));
}, 60_000);

const find = (objs: Obj[], kind: string, name?: string): Obj => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (o === undefined) throw new Error(`no ${kind} ${name ?? ""} in the rendering`);
  return o;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking free-form manifests in a test
const at = (o: unknown, ...path: (string | number)[]): any => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

describe("helm lint", () => {
  test.each([["default values", []], ["full values", ["-f", fullValues]]])("passes with %s", async (_name, extra) => {
    const out = await helmOk(["lint", chartDir, "--strict", ...extra]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe("golden renderings", () => {
  test.each([["default.yaml", []], ["full.yaml", ["-f", fullValues]]])("%s", async (file, extra) => {
    const text = await renderChart(extra);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden(file), text);
    if (!existsSync(golden(file))) throw new Error(`${golden(file)} is missing: run with UPDATE_GOLDEN=1 and review it`);
    expect(text).toBe(readFileSync(golden(file), "utf8"));
  });
});

describe("values.schema.json", () => {
  test.each([
    ["--set", "cni.mtu=100", "/cni/mtu"],
    ["--set", "controller.replica=3", "additional properties 'replica' not allowed"],
    ["--set", "defaultPool.cidr=10.0.0.0", "/defaultPool/cidr"],
    ["--set", "controller.leaderElection.leaseDuration=15", "/controller/leaderElection/leaseDuration"],
    ["--set", "cni.confName=petrel.conf", "/cni/confName"],
    ["--set", "bgp.asNumber=0", "/bgp/asNumber"],
    ["--set", "node.logLevel=verbose", "/node/logLevel"],
    ["--set", "image.pullPolicy=Sometimes", "/image/pullPolicy"],
    ["--set", "node.image.digest=sha256:abc", "/node/image/digest"],
    ["--set", "node.extraArgs.kubelet={--x}", "additional properties 'kubelet' not allowed"],
    ["--set", "cni.logLevel=trace", "/cni/logLevel"],
    ["--set", "metrics.prometheusRule.poolNearlyExhaustedRatio=1.5", "/metrics/prometheusRule/poolNearlyExhaustedRatio"],
    ["--set", "metrics.prometheusRule.bgpSessionDownFor=5", "/metrics/prometheusRule/bgpSessionDownFor"],
    ["--set", "metrics.grafanaDashboard.folder=x", "additional properties 'folder' not allowed"],
  ])("%s %s fails naming %s", async (flag, value, fragment) => {
    const r = await helm(["template", "petrel", chartDir, flag, value]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(fragment);
  });
});

describe("RBAC is least privilege", () => {
  const roles = (objs: Obj[]) => objs.filter((o) => o.kind === "ClusterRole" || o.kind === "Role");
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

  test("no wildcard verbs, resources or groups anywhere", () => {
    for (const role of [...roles(defaults), ...roles(full)]) {
      for (const rule of at(role, "rules") as Rule[]) {
        expect([role.metadata.name, [...rule.verbs, ...rule.resources, ...rule.apiGroups].filter((x) => x.includes("*"))]).toEqual([role.metadata.name, []]);
      }
    }
  });

  test("the agent reads Pods (its IPAM check watches those of its node; petrelctl ipam check lists them in its pod)", () => {
    const podRules = (at(find(defaults, "ClusterRole", "petrel-node"), "rules") as Rule[]).filter((r) => r.resources.includes("pods"));
    expect(podRules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
  });

  test("helm test's pod reads only its peers' DaemonSet and the namespace's pods", () => {
    const role = find(defaults, "Role", "petrel-test");
    expect(role.metadata.namespace).toBe("petrel-system");
    expect(at(role, "rules")).toEqual([
      { apiGroups: ["apps"], resources: ["daemonsets"], resourceNames: ["petrel-test-peer"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
    ]);
  });

  test("uninstall detection: the installer and the agent read and watch their own DaemonSet by name, only when one of them cleans up", async () => {
    const dsRules = (objs: Obj[]) => roles(objs).flatMap((r) => (at(r, "rules") as Rule[]).filter((x) => x.resources.includes("daemonsets")).map((x) => ({ role: `${r.kind}/${r.metadata.name}`, ...x })));
    const own = { role: "Role/petrel-node", apiGroups: ["apps"], resources: ["daemonsets"], resourceNames: ["petrel-node"], verbs: ["get", "list", "watch"] };
    const argsOf = (objs: Obj[], name: string) => {
      const spec = at(find(objs, "DaemonSet", "petrel-node"), "spec", "template", "spec");
      return ([...spec.initContainers, ...spec.containers].find((c: { name: string }) => c.name === name)?.args ?? []) as string[];
    };
    expect(dsRules(defaults).filter((r) => r.role !== "Role/petrel-test")).toEqual([own]);
    expect(argsOf(defaults, "agent")).toContain("--daemonset=petrel-node");
    expect(argsOf(defaults, "install-cni")).toContain("--daemonset=petrel-node");
    // Full values: cni.uninstall=false, node.uninstall=true — only the agent asks.
    expect(dsRules(full).filter((r) => r.role !== "Role/petrel-test")).toEqual([own]);
    expect(argsOf(full, "agent")).toContain("--daemonset=petrel-node");
    expect(argsOf(full, "install-cni").some((a) => a.startsWith("--daemonset"))).toBe(false);
    const neither = parse(await renderChart(["--set", "cni.uninstall=false", "--set", "node.uninstall=false"]));
    expect(dsRules(neither).filter((r) => r.role !== "Role/petrel-test")).toEqual([]);
    expect(neither.some((o) => o.kind === "Role" && o.metadata.name === "petrel-node")).toBe(false);
    expect(argsOf(neither, "agent").some((a) => a.startsWith("--daemonset"))).toBe(false);
  });

  test("the agent writes only the status of PetrelNodes and IPAMBlocks, and Events about the pods whose addresses it frees", () => {
    const writes = (at(find(defaults, "ClusterRole", "petrel-node"), "rules") as Rule[])
      .filter((r) => r.verbs.some((v) => !["get", "list", "watch"].includes(v)));
    expect(writes).toEqual([
      { apiGroups: ["petrel.dev"], resources: ["petrelnodes/status", "ipamblocks/status"], verbs: ["patch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ]);
  });

  test("the conflist declares the CNI versions a runtime may pick from, and the block protection policy is on", () => {
    const cm = find(defaults, "ConfigMap", "petrel-node-cni");
    const conflist = JSON.parse(String(at(cm, "data", "00-petrel.conflist"))) as { cniVersion: string; cniVersions: string[] };
    expect([conflist.cniVersion, conflist.cniVersions]).toEqual(["1.0.0", ["1.0.0", "1.1.0"]]);
    expect(at(find(defaults, "ValidatingAdmissionPolicy", "petrel-ipamblock-protection"), "spec", "matchConstraints", "resourceRules", 0, "operations")).toEqual(["DELETE"]);
  });

  test("block protection keeps the petrel.dev/node label through the labels policy, also without route bounds", async () => {
    const ours = ["petrel-ipamblock-labels", "petrel-ipamblock-protection", "petrel-service-cidrs-outside-pools"];
    const rendered = async (set: string) => parse(await renderChart(["--set", set]))
      .filter((o) => o.kind === "ValidatingAdmissionPolicy" && ours.includes(o.metadata.name)).map((o) => o.metadata.name).sort();
    expect(ours.map((n) => find(defaults, "ValidatingAdmissionPolicy", n).metadata.name)).toEqual(ours);
    expect(await rendered("admission.routeBounds=false")).toEqual(["petrel-ipamblock-labels", "petrel-ipamblock-protection"]);
    expect(await rendered("admission.blockProtection=false")).toEqual(["petrel-ipamblock-labels", "petrel-service-cidrs-outside-pools"]);
    expect(await rendered("admission.routeBounds=false,admission.blockProtection=false")).toEqual([]);
  }, 60_000);

  test("the agent reads no Secret unless named in values, and then only those", () => {
    const secretRules = (objs: Obj[]) => roles(objs).flatMap((r) => (at(r, "rules") as Rule[]).filter((x) => x.resources.includes("secrets")));
    expect(secretRules(defaults)).toEqual([]);
    expect(secretRules(full)).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["tor-a-password", "tor-b-password"], verbs: ["get"] }]);
  });

  test("the controller cannot write Nodes, Secrets or status of anything but pools", () => {
    const rules = at(find(defaults, "ClusterRole", "petrel-controller"), "rules") as Rule[];
    const written = rules.filter((r) => r.verbs.some((v) => !["get", "list", "watch"].includes(v))).flatMap((r) => r.resources);
    expect(written.sort()).toEqual(["ipamblocks", "ippools", "ippools/status", "petrelnodes"]);
  });

  test("an admission policy keeps each agent to its own node's status", () => {
    const vap = find(defaults, "ValidatingAdmissionPolicy", "petrel-node-own-node-only");
    expect(at(vap, "spec", "matchConditions", 0, "expression")).toContain("system:serviceaccount:petrel-system:petrel-node");
    expect(at(vap, "spec", "matchConstraints", "resourceRules", 0, "resources")).toEqual(["petrelnodes/status", "ipamblocks/status"]);
  });
});

describe("workloads", () => {
  test("controller: 2 replicas by default, leader election on its own lease, PDB, probes", () => {
    const d = find(defaults, "Deployment", "petrel-controller");
    expect(at(d, "spec", "replicas")).toBe(2);
    const c = at(d, "spec", "template", "spec", "containers", 0);
    expect(c.args).toContain("--lease-name=petrel-controller");
    expect(at(c, "livenessProbe", "httpGet", "path")).toBe("/healthz");
    expect(at(c, "readinessProbe", "httpGet", "path")).toBe("/readyz");
    expect(at(find(defaults, "PodDisruptionBudget", "petrel-controller"), "spec", "minAvailable")).toBe(1);
  });

  test("node DaemonSet: host network, install-cni native sidecar, agent and gobgpd with probes", () => {
    const spec = at(find(defaults, "DaemonSet", "petrel-node"), "spec", "template", "spec");
    expect(spec.hostNetwork).toBe(true);
    expect(spec.initContainers.map((c: { name: string; restartPolicy?: string }) => [c.name, c.restartPolicy])).toEqual([["install-cni", "Always"]]);
    expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(["gobgpd", "agent"]);
    const agent = spec.containers[1];
    expect(at(agent, "readinessProbe", "httpGet", "path")).toBe("/readyz");
    expect(at(agent, "securityContext", "capabilities")).toEqual({ drop: ["ALL"], add: ["NET_ADMIN"] });
    const volumes = Object.fromEntries(spec.volumes.map((v: { name: string; hostPath?: { path: string } }) => [v.name, v.hostPath?.path]));
    expect(volumes).toMatchObject({ "cni-bin": "/opt/cni/bin", "cni-conf": "/etc/cni/net.d", state: "/var/lib/petrel" });
  });

  test("gobgpd's API is a unix socket in a 0700 directory of an emptyDir that only gobgpd and the agent mount", () => {
    const spec = at(find(defaults, "DaemonSet", "petrel-node"), "spec", "template", "spec");
    expect(spec.volumes.find((v: { name: string }) => v.name === "gobgp-api")).toEqual({ name: "gobgp-api", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    const mounting = [...spec.initContainers, ...spec.containers].filter((c: { volumeMounts?: { name: string }[] }) => (c.volumeMounts ?? []).some((m) => m.name === "gobgp-api")).map((c: { name: string }) => c.name);
    expect(mounting).toEqual(["gobgpd", "agent"]);
    const [gobgpd, agent] = spec.containers;
    const script = (gobgpd.args as string[]).join(" ");
    expect(script).toContain("umask 077");
    expect(script).toContain("chmod 0700 /run/petrel/gobgp");
    expect(script).toMatch(/\/usr\/bin\/gobgpd --api-hosts=unix:\/\/\/run\/petrel\/gobgp\/gobgpd\.sock/);
    // SIGTERM becomes SIGKILL for gobgpd: peers see a broken session (graceful restart), not a Cease.
    expect(script).toContain("trap 'kill -KILL $pid' TERM INT && wait $pid");
    expect(script).not.toMatch(/api-hosts=[0-9:.]/);
    expect(agent.args).toContain("--gobgp-address=unix:///run/petrel/gobgp/gobgpd.sock");
  });

  test("the conflist sorts first, chains portmap after petrel and logs at info into the state dir; full values change all that", () => {
    const conf = (objs: Obj[], name: string) => JSON.parse(at(find(objs, "ConfigMap", "petrel-node-cni"), "data", name) as string) as { cniVersion: string; plugins: { type: string; mtu?: number; stateDir?: string; logFile?: string; logLevel?: string }[] };
    const d = conf(defaults, "00-petrel.conflist");
    expect(d.plugins.map((p) => p.type)).toEqual(["petrel", "portmap"]);
    expect(d.plugins[0]).toMatchObject({ logFile: "/var/lib/petrel/cni.log", logLevel: "info" });
    // The runtime takes the first file in name order: Petrel's before Cilium's and Calico's, after Multus'.
    expect(["10-calico.conflist", "05-cilium.conflist", "10-flannel.conflist", "00-petrel.conflist", "00-multus.conf"].sort()).toEqual(
      ["00-multus.conf", "00-petrel.conflist", "05-cilium.conflist", "10-calico.conflist", "10-flannel.conflist"]);
    const f = conf(full, "05-petrel.conflist");
    expect(f.plugins).toEqual([{ type: "petrel", mtu: 9000, stateDir: "/var/lib/petrel-prod", logFile: "/var/log/petrel/cni.log", logLevel: "debug" }]);
    expect(f.cniVersion).toBe("1.1.0");
  });

  test("cni.exclusive asks the installer to move other CNIs' configs aside", () => {
    const installer = (objs: Obj[]) => at(find(objs, "DaemonSet", "petrel-node"), "spec", "template", "spec", "initContainers", 0, "args") as string[];
    expect(installer(defaults)).not.toContain("--exclusive");
    expect(installer(full)).toContain("--exclusive");
  });

  test("extraArgs and extraEnv land after the chart's own in each container; digests replace tags", () => {
    const ds = at(find(full, "DaemonSet", "petrel-node"), "spec", "template", "spec");
    const c = (name: string) => [...ds.initContainers, ...ds.containers].find((x: { name: string }) => x.name === name);
    expect(c("agent").args.at(-1)).toBe("--resync-period=30s");
    expect(c("agent").env.at(-1)).toEqual({ name: "NODE_OPTIONS", value: "--max-old-space-size=512" });
    expect(c("gobgpd").args.at(-1)).toBe("--disable-stdlog");
    expect(c("gobgpd").env).toEqual([{ name: "GOMAXPROCS", value: "2" }]);
    expect(c("install-cni").args.at(-1)).toBe("--recheck-period=5m");
    const ctl = at(find(full, "Deployment", "petrel-controller"), "spec", "template", "spec", "containers", 0);
    expect(ctl.args.at(-1)).toBe("--concurrency=8");
    expect(ctl.env.at(-1)).toEqual({ name: "UV_THREADPOOL_SIZE", value: "8" });
    expect(ctl.image).toBe("registry.example.com/platform/petrel/controller@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    expect(c("agent").image).toBe("registry.example.com/platform/petrel/node:0.1.0-rc1");
    expect(at(find(defaults, "DaemonSet", "petrel-node"), "spec", "template", "spec", "containers", 0, "env")).toBeUndefined();
  });

  test("helm test: peers on every node, then one pod that dials them all; hooks removed once passed", () => {
    const hooks = defaults.filter((o) => o.metadata.annotations?.["helm.sh/hook"] === "test");
    expect(hooks.map((o) => [o.kind, o.metadata.name, o.metadata.annotations?.["helm.sh/hook-weight"]])).toEqual([
      ["ServiceAccount", "petrel-test", "-10"], ["Role", "petrel-test", "-10"], ["RoleBinding", "petrel-test", "-10"],
      ["DaemonSet", "petrel-test-peer", "-5"], ["Pod", "petrel-test-connectivity", "0"],
    ]);
    for (const h of hooks) expect(h.metadata.annotations?.["helm.sh/hook-delete-policy"]).toBe("before-hook-creation,hook-succeeded");
    const peer = at(find(defaults, "DaemonSet", "petrel-test-peer"), "spec", "template", "spec");
    expect(peer.hostNetwork).toBeUndefined(); // on the pod network, not the host's
    expect(peer.containers[0].command).toEqual(["/usr/local/bin/petrelctl", "connectivity", "serve", "--port=8080"]);
    const pod = at(find(defaults, "Pod", "petrel-test-connectivity"), "spec");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers[0].command).toEqual(["/usr/local/bin/petrelctl", "connectivity", "check", "--daemonset=petrel-test-peer", "--port=8080", "--wait=3m", "--termination-log=/dev/termination-log"]);
    expect(at(find(full, "Pod", "petrel-test-connectivity"), "spec", "containers", 0, "env")).toContainEqual({ name: "KUBERNETES_SERVICE_HOST", value: "192.0.2.10" });
  });

  test("default IPPool and BGPConfiguration are post-install hooks carrying the values", () => {
    const pool = find(full, "IPPool", "main");
    expect(pool.metadata.annotations?.["helm.sh/hook"]).toBe("post-install");
    expect(at(pool, "spec")).toEqual({ cidr: "198.18.0.0/16", blockSize: 27, natOutgoing: false, disableBGPExport: true, nodeSelector: { matchLabels: { "example.com/rack": "r1" } } });
    expect(at(find(full, "BGPConfiguration", "default"), "spec", "asNumber")).toBe(4200000001);
  });

  test("scrape annotations by default; ServiceMonitors with the switch", () => {
    expect(at(find(defaults, "DaemonSet"), "spec", "template", "metadata", "annotations", "prometheus.io/port")).toBe("9095");
    expect(defaults.some((o) => o.kind === "ServiceMonitor")).toBe(false);
    expect(full.filter((o) => o.kind === "ServiceMonitor").map((o) => o.metadata.name)).toEqual(["petrel-controller", "petrel-node"]);
  });
});

describe("dashboard and alerts", () => {
  type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
  const dashboards = (objs: Obj[]) => objs.filter((o) => o.kind === "ConfigMap" && at(o, "metadata", "labels", "grafana_dashboard") === "1");
  const rules = (objs: Obj[]): Rule[] => (at(find(objs, "PrometheusRule"), "spec", "groups") as { name: string; rules: Rule[] }[]).flatMap((g) => g.rules);
  const declared = async () => new Set([
    ...await declaredMetricNames(createControllerMetrics(() => undefined, () => 0).registry),
    ...await declaredMetricNames(createAgentMetrics("n").registry),
  ]);

  test("neither is rendered by default", () => {
    expect(dashboards(defaults)).toEqual([]);
    expect(defaults.some((o) => o.kind === "PrometheusRule")).toBe(false);
  });

  test("the dashboard ConfigMap carries the sidecar label, values' labels and namespace, and the dashboard file as valid JSON", async () => {
    const [cm, ...more] = dashboards(full);
    expect(more).toEqual([]);
    expect(cm?.metadata).toMatchObject({ name: "petrel-grafana-dashboard", namespace: "monitoring", annotations: { grafana_folder: "Networking" } });
    expect(at(cm, "metadata", "labels", "release")).toBe("grafana");
    const text = String(at(cm, "data", "petrel.json"));
    expect(text).toBe(readFileSync(join(chartDir, "files", "dashboards", "petrel.json"), "utf8").trimEnd());
    const d = JSON.parse(text) as GrafanaDashboard;
    expect([d.uid, d.title]).toEqual(["petrel-overview", "Petrel"]);
    const panels = (d.panels ?? []).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) {
      expect([p.title, p.datasource?.uid, (p.targets ?? []).length > 0]).toEqual([p.title, "${datasource}", true]);
      expect([p.title, new Set(p.targets?.map((t) => t.refId)).size]).toEqual([p.title, p.targets?.length]);
    }
    const known = await declared();
    expect(dashboardQueries(d).flatMap(promqlMetricNames).filter((n) => !known.has(n) && !scrapeSeries.has(n))).toEqual([]);
  });

  test("the PrometheusRule is a well-formed object with the values' thresholds, labels and job selector", async () => {
    const pr = find(full, "PrometheusRule");
    expect([pr.apiVersion, pr.metadata.name, pr.metadata.namespace, at(pr, "metadata", "labels", "release")]).toEqual(["monitoring.coreos.com/v1", "petrel", "petrel-system", "prometheus"]);
    const rs = rules(full);
    expect(rs.map((r) => r.alert)).toEqual([
      "PetrelBGPSessionDown", "PetrelIPPoolNearlyExhausted", "PetrelIPPoolExhausted", "PetrelIPAMInconsistencies",
      "PetrelNoControllerLeader", "PetrelAgentIPForwardingDisabled", "PetrelAgentHeartbeatStale", "PetrelTargetDown",
    ]);
    const known = await declared();
    for (const r of rs) {
      expect(Object.keys(r).sort()).toEqual(["alert", "annotations", "expr", "for", "labels"]);
      expect([r.alert, /^([0-9]+(ms|s|m|h))+$/.test(r.for), ["warning", "critical"].includes(r.labels.severity ?? ""), r.labels.team]).toEqual([r.alert, true, true, "network"]);
      expect([r.alert, Object.keys(r.annotations).sort()]).toEqual([r.alert, ["description", "summary"]]);
      // Helm rendered every action; only Prometheus' own templates ({{ $labels.x }}, {{ $value }}) remain.
      expect([r.alert, `${r.expr} ${r.annotations.summary} ${r.annotations.description}`.match(/\{\{(?!\s*\$(labels|value))[^}]*\}\}/g)]).toEqual([r.alert, null]);
      expect([r.alert, promqlMetricNames(r.expr).filter((n) => !known.has(n) && !scrapeSeries.has(n))]).toEqual([r.alert, []]);
    }
    const byName = new Map(rs.map((r) => [r.alert, r]));
    expect(byName.get("PetrelBGPSessionDown")?.for).toBe("10m");
    expect(byName.get("PetrelIPAMInconsistencies")?.for).toBe("30m");
    expect(byName.get("PetrelIPPoolNearlyExhausted")?.expr).toContain("> 0.8");
    expect(byName.get("PetrelAgentHeartbeatStale")?.expr).toBe("time() - petrel_controller_agent_heartbeat_timestamp_seconds > 600");
    expect(byName.get("PetrelTargetDown")?.expr).toBe('up{job=~"kubernetes-pods", app_kubernetes_io_name="petrel"} == 0');
  });

  // Prometheus' own checker: PromQL syntax of every expression, the rule-file structure and the
  // annotation templates. A broken expression must fail it (else the check proves nothing).
  describe("promtool check rules", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "petrel-rules-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const check = async (name: string, groups: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify({ groups }));
      return runProcess(await promtoolPath(), ["check", "rules", file]);
    };

    test("accepts the rendered alert rules", async () => {
      const r = await check("alerts.yaml", at(find(full, "PrometheusRule"), "spec", "groups"));
      expect([r.status, r.stderr.trim()]).toEqual([0, ""]);
      expect(r.stdout).toContain("SUCCESS: 8 rules found");
    }, 120_000);

    test("accepts every dashboard query (Grafana's variables given values)", async () => {
      const d = JSON.parse(String(at(find(full, "ConfigMap", "petrel-grafana-dashboard"), "data", "petrel.json"))) as GrafanaDashboard;
      const queries = dashboardQueries(d).map((q) => q.replaceAll("$__rate_interval", "2m").replaceAll("$node", ".*"));
      const r = await check("dashboard.yaml", [{ name: "dashboard", rules: queries.map((expr, i) => ({ record: `petrel:dashboard_query:${i}`, expr })) }]);
      expect([r.status, r.stderr.trim()]).toEqual([0, ""]);
      expect(r.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
    }, 120_000);

    test("refuses a broken expression", async () => {
      const r = await check("broken.yaml", [{ name: "broken", rules: [{ alert: "Broken", expr: "sum by (node (petrel_agent_routes)" }] }]);
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/parse error/);
    }, 120_000);
  });

  test("by default the target-down alert selects the jobs of the chart's ServiceMonitors", async () => {
    const objs = parse(await renderChart(["--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.serviceMonitor.enabled=true"]));
    const services = objs.filter((o) => o.kind === "Service").map((o) => o.metadata.name).sort();
    expect(rules(objs).find((r) => r.alert === "PetrelTargetDown")?.expr).toBe(`up{job=~"${services.join("|")}"} == 0`);
  });
});

describe("CRDs", () => {
  test("the chart's CRDs are crds/ (one source of truth), kept on uninstall unless crds.keep=false", () => {
    const files = readdirSync(join(repoRoot, "crds")).filter((f) => f.endsWith(".yaml"));
    const fromRepo = files.map((f) => parse(readFileSync(join(repoRoot, "crds", f), "utf8"))[0]);
    const inChart = defaults.filter((o) => o.kind === "CustomResourceDefinition");
    expect(inChart.map((o) => at(o, "spec")).sort((a, b) => String(a.group + a.names.plural).localeCompare(b.group + b.names.plural)))
      .toEqual(fromRepo.map((o) => at(o, "spec")).sort((a, b) => String(a.group + a.names.plural).localeCompare(b.group + b.names.plural)));
    expect(inChart.every((o) => o.metadata.annotations?.["helm.sh/resource-policy"] === "keep")).toBe(true);
    expect(full.filter((o) => o.kind === "CustomResourceDefinition").every((o) => o.metadata.annotations?.["helm.sh/resource-policy"] === undefined)).toBe(true);
  });

  test("uninstall cleanup Job only when the CRDs go with the chart", () => {
    expect(find(full, "Job", "petrel-cleanup").metadata.annotations?.["helm.sh/hook"]).toBe("pre-delete");
    expect(defaults.some((o) => o.kind === "Job")).toBe(false);
  });
});
