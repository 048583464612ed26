// The upstream Kubernetes e2e suite (e2e.test of the rig's pinned release, built by
// test/rig/build-k8s.sh) run against a cluster, and its ginkgo JSON report read back into one
// line per selected test: passed, failed (with the failure), or skipped (with the reason the
// suite gave, e.g. a feature the cluster lacks).
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { logTail } from "./start-process.ts";

/** The CI subset: a few minutes, pod traffic within and across nodes, UDP, a Service, DNS, hostPort, EndpointSlices. */
export const ciFocus = [
  "Networking Granular Checks: Pods should function for intra-pod communication: (http|udp)",
  "Services should serve a basic endpoint from pods",
  "DNS should provide DNS for services",
  "HostPort validates that there is no conflict between pods with same hostPort but different hostIP and protocol",
  "EndpointSlice should create Endpoints and EndpointSlices for Pods matching a Service",
].map((t) => `\\[sig-network\\] ${t}`).join("|");

/** The full run: every [sig-network] Conformance test. */
export const conformanceFocus = "\\[sig-network\\].*\\[Conformance\\]";

export interface E2eOptions {
  binDir: string;
  kubeconfig: string;
  focus: string;
  skip?: string;
  /** Report, log and the suite's own output dir. */
  dir: string;
  /** The cluster's DNS domain. */
  dnsDomain: string;
  /** Whole-run limit (ginkgo --timeout). */
  timeout: string;
  log?: (line: string) => void;
}

export interface SpecResult {
  readonly name: string;
  readonly state: "passed" | "failed" | "skipped" | string;
  readonly seconds: number;
  /** A failure's message, or the reason a test skipped itself. */
  readonly message: string;
}

export interface E2eResult {
  readonly status: number;
  readonly specs: readonly SpecResult[];
  /** Specs that the focus did not select (not run, not reported as skips). */
  readonly notSelected: number;
  readonly seconds: number;
  readonly logPath: string;
}

interface GinkgoSpec {
  ContainerHierarchyTexts?: string[] | null;
  LeafNodeText?: string;
  LeafNodeType?: string;
  State?: string;
  RunTime?: number;
  Failure?: { Message?: string; FailureNodeType?: string };
}

/** Runs e2e.test; resolves when it exits (never rejects on test failures: see the specs). */
export async function runE2e(o: E2eOptions): Promise<E2eResult> {
  const say = o.log ?? (() => {});
  mkdirSync(o.dir, { recursive: true });
  const report = join(o.dir, "report.json");
  const logPath = join(o.dir, "e2e.log");
  const args = [
    `--kubeconfig=${o.kubeconfig}`,
    "--provider=skeleton",
    `--dns-domain=${o.dnsDomain}`,
    `--report-dir=${o.dir}`,
    `--e2e-output-dir=${o.dir}`,
    `--kubectl-path=${join(o.binDir, "kubectl")}`,
    "--system-pods-startup-timeout=5m",
    "--dump-logs-on-failure=false",
    `--ginkgo.focus=${o.focus}`,
    ...(o.skip === undefined ? [] : [`--ginkgo.skip=${o.skip}`]),
    `--ginkgo.json-report=${report}`,
    `--ginkgo.timeout=${o.timeout}`,
    "--ginkgo.no-color",
    "--ginkgo.v",
  ];
  const t0 = Date.now();
  const fd = openSync(logPath, "w");
  const child = spawn(join(o.binDir, "e2e.test"), args, { stdio: ["ignore", fd, fd], env: { ...process.env, PATH: `${o.binDir}:${process.env.PATH ?? ""}` } });
  closeSync(fd);
  // A line every 30 s: how far the run is (ginkgo -v prints each spec's full name when it starts,
  // and a line starting with "•" when it ends: "• [12.3 seconds]", "• [FAILED] ...").
  const ticker = setInterval(() => {
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    const done = (text.match(/^• /gm) ?? []).length;
    const failed = (text.match(/^• \[(?:FAILED|PANICKED|TIMEDOUT)\]/gm) ?? []).length;
    const current = [...text.matchAll(/^(\[sig-[\w-]+\] .*)$/gm)].pop()?.[1] ?? "(setting up)";
    say(`e2e.test: ${Math.round((Date.now() - t0) / 1000)} s, ${done} specs done (${failed} failed); now: ${current.slice(0, 140)}`);
  }, 30_000);
  const status = await new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    child.once("error", () => resolve(127));
  });
  clearInterval(ticker);
  const seconds = (Date.now() - t0) / 1000;
  if (!existsSync(report)) throw new Error(`e2e.test exited with ${status} and wrote no report; ${logPath}:\n${await logTail(logPath, 60)}`);
  const suites = JSON.parse(readFileSync(report, "utf8")) as { SpecReports?: GinkgoSpec[] }[];
  const specs: SpecResult[] = [];
  let notSelected = 0;
  for (const suite of suites) {
    for (const s of suite.SpecReports ?? []) {
      const name = [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText ?? ""].filter((x) => x !== "").join(" ");
      const message = (s.Failure?.Message ?? "").trim();
      if (s.LeafNodeType !== "It") {
        // BeforeSuite/AfterSuite: reported only when they failed (then nothing else could run).
        if (s.State !== "passed" && s.State !== "skipped") specs.push({ name: `[${s.LeafNodeType ?? "?"}]`, state: s.State ?? "?", seconds: (s.RunTime ?? 0) / 1e9, message });
        continue;
      }
      // Specs the focus filtered out are reported as skipped with no message: not part of the run.
      if (s.State === "skipped" && message === "") {
        notSelected++;
        continue;
      }
      specs.push({ name, state: s.State ?? "?", seconds: (s.RunTime ?? 0) / 1e9, message });
    }
  }
  return { status, specs, notSelected, seconds, logPath };
}

/** The printed summary: counts, then one line per test (skips with their reason, failures with the first lines of their message). */
export function formatE2eSummary(r: E2eResult, title: string): string {
  const count = (st: string) => r.specs.filter((s) => s.state === st).length;
  const other = r.specs.filter((s) => !["passed", "failed", "skipped"].includes(s.state)).length;
  const lines = [
    `${title}: ${r.specs.length} run, ${count("passed")} passed, ${count("failed") + other} failed, ${count("skipped")} skipped (${r.notSelected} specs of e2e.test not selected) in ${r.seconds.toFixed(0)} s; e2e.test exit ${r.status}`,
  ];
  for (const s of [...r.specs].sort((a, b) => a.state.localeCompare(b.state) || a.name.localeCompare(b.name))) {
    const detail = s.state === "passed" ? "" : ` — ${s.message.split("\n").slice(0, 3).join(" ").slice(0, 300)}`;
    lines.push(`  ${s.state.padEnd(7)} ${s.seconds.toFixed(0).padStart(4)} s  ${s.name}${detail}`);
  }
  return lines.join("\n");
}
