/**
 * petrelctl: the operator's view of a Petrel cluster. It lists Petrel's objects and the Pods, and
 * (with --state-dir, on a node) the CNI plugin's allocation records. It writes nothing to the API;
 * the one thing it changes is on a node, on request: `ipam check --release-from-report` frees the
 * leaked records a report listed, under the plugin's locks.
 * Also `kubectl petrel ...` (installed as kubectl-petrel on PATH), with kubectl's --kubeconfig,
 * --context and -o. Exit codes: 0 ok, 1 findings (`ipam check`, `ipam show --ip`) or an
 * incomplete `diags`, 2 usage, configuration or connection error.
 */
import { VERSION_FLAG, VERSION_HELP, commanderVersion } from "../../common/build-info.ts";
import { Argument, Command, CommanderError, Option } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { errorMessage } from "../../common/errors.ts";
import { loadKubeConfig } from "../../common/host/kube-config.ts";
import { listPodRoutes } from "../../common/host/pod-routes.ts";
import { runtimeText } from "../../common/host/runtime.ts";
import { parseIpFlag, renderAddressReport } from "./address-report.ts";
import { parseAgentAddress, renderBgpRoutes, routesExitCode } from "./bgp-routes.ts";
import { checkReport, renderCheck } from "./check-report.ts";
import { connectivityReport, renderConnectivity } from "./connectivity.ts";
import { complete, completionScript, SHELLS, type CommandSpec, type Shell } from "./completion.ts";
import { lookupAddress } from "./host/address-lookup.ts";
import { AgentUnreachableError, collectRoutes, fetchLocalRoutes } from "./host/bgp-routes.ts";
import { probe, readyPeers, serve } from "./host/connectivity.ts";
import { collectDiags } from "./host/diags.ts";
import { KubeOpsReader } from "./host/kube-ops-read.ts";
import { localNodeFacts } from "./host/node-facts.ts";
import type { KubectlTarget } from "./host/node-exec.ts";
import { formatReport } from "./output.ts";
import { readAllocationRecords } from "./host/allocation-records.ts";
import { releaseRecord, withPluginLocks } from "./host/release-records.ts";
import { planRelease, renderRelease, reportTarget } from "./release-plan.ts";
import { KubeReader } from "./host/kube-read.ts";
import { ipamShowReport, renderIpamShow } from "./ipam-show.ts";
import { nodeStatusReport, renderNodeStatus } from "./node-status.ts";
import { checkNodeKnown, OUTPUT_FORMATS, outputFormat, positiveDuration, recordCheckTarget, type OutputFormat } from "./options.ts";

const EXIT_FINDINGS = 1;
const EXIT_ERROR = 2;

function fail(message: string): never {
  process.stderr.write(`petrelctl: ${message}\n`);
  process.exit(EXIT_ERROR);
}

/** `text`: the table, or a function of -o wide for reports that have more columns. */
function emit(format: OutputFormat, report: unknown, text: string | ((wide: boolean) => string)): void {
  process.stdout.write(formatReport(format, report, typeof text === "string" ? () => text : text));
}

interface Globals {
  kubeconfig?: string;
  context?: string;
  requestTimeout?: string;
}

/** How kubectl is pointed at the same cluster, for node-local facts (kubectl exec). */
function kubectlTarget(cmd: Command): KubectlTarget {
  const g = cmd.optsWithGlobals<Globals>();
  return { kubeconfig: g.kubeconfig, context: g.context };
}

/**
 * The API clients, and a deadline for the whole command so an unreachable server cannot hang it
 * (--request-timeout; `wholeCommandMs` for commands that make many requests, like diags).
 */
function connectAll(cmd: Command, wholeCommandMs?: number): { kube: KubeReader; ops: KubeOpsReader; timeoutMs: number } {
  const globals = cmd.optsWithGlobals<Globals>();
  const timeoutMs = positiveDuration(globals.requestTimeout, "--request-timeout");
  const kc = loadKubeConfig(globals.kubeconfig, process.env, globals.context);
  const server = kc.getCurrentCluster()?.server ?? "(unknown)";
  setTimeout(() => {
    fail(wholeCommandMs === undefined
      ? `no answer from the API server at ${server} within --request-timeout ${globals.requestTimeout ?? ""}: check that it is up and reachable from here, or raise --request-timeout`
      : `not done within ${Math.round(wholeCommandMs / 1000)} s: the API server at ${server} or a node is too slow; raise --timeout`);
  }, wholeCommandMs ?? timeoutMs).unref();
  return { kube: new KubeReader(kc), ops: new KubeOpsReader(kc), timeoutMs };
}

function connect(cmd: Command): KubeReader {
  return connectAll(cmd).kube;
}

/** The command tree for completion, from commander's own (hidden commands left out). */
function specOf(c: Command): CommandSpec {
  return {
    name: c.name(),
    options: c.options.filter((o) => !o.hidden).map((o) => ({
      names: [o.short, o.long].filter((n): n is string => n !== undefined),
      takesValue: o.required || o.optional,
      choices: o.argChoices,
    })),
    commands: c.commands.filter((x) => !(x as unknown as { _hidden?: boolean })._hidden).map(specOf),
  };
}

const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default("table");

function program(): Command {
  const root = new Command("petrelctl")
    .version(commanderVersion("petrelctl", runtimeText()), VERSION_FLAG, VERSION_HELP)
    .description("Operator CLI for Petrel, the routed L3 pod network: BGP session status and IPAM checks.")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, else the in-cluster service account, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context to use (default: its current-context)")
    .option("--request-timeout <duration>", "give up when the API server has not answered within this time", "30s")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const node = root.command("node").description("BGP status of the nodes");
  node
    .command("status")
    .description("BGP sessions of every node (or one) as its agent reports them, its Ready condition and heartbeat age")
    .argument("[node]", "only this node (its Kubernetes name)")
    .addOption(outputOption())
    .option("--stale-after <duration>", "warn when a node's heartbeat is older than this", "3m")
    .action(async (name: string | undefined, opts: { output: string; staleAfter: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      const staleAfterMs = positiveDuration(opts.staleAfter, "--stale-after");
      const kube = connect(cmd);
      let nodes;
      if (name === undefined) {
        nodes = await kube.listPetrelNodes();
      } else {
        const one = await kube.getPetrelNode(name);
        if (one === undefined) fail(`PetrelNode "${name}" not found: pass a Kubernetes Node name (kubectl get petrelnodes lists them); the controller creates one per Node`);
        nodes = [one];
      }
      const report = nodeStatusReport(nodes, new Date(), staleAfterMs);
      emit(format, report, (wide) => renderNodeStatus(report, wide));
    });

  root
    .command("bgp")
    .description("BGP routes of the nodes")
    .command("routes")
    .description("per node (or one): its BGP sessions, what it advertises, what it learned and whether its kernel has the route, and what it refused and why; from each node's agent through kubectl exec (exit 1 when a node could not be asked)")
    .addOption(outputOption())
    .option("--node <name>", "only this node (its Kubernetes name)")
    .option("--local", "ask the agent on this host directly (on the node as root, or in its Petrel pod); needs no API access")
    .option("--agent-address <host:port>", "with --local: the agent's --health-address as seen from here (default 127.0.0.1:9095)")
    .option("--exec-timeout <duration>", "how long each node may take to answer", "20s")
    .option("--timeout <duration>", "give up on the whole command after this long", "2m")
    .action(async (opts: { output: string; node?: string; local?: boolean; agentAddress?: string; execTimeout: string; timeout: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      if (opts.local !== true) {
        if (opts.agentAddress !== undefined) fail("--agent-address: only with --local (from elsewhere petrelctl finds each agent through its pod)");
        const execTimeoutMs = positiveDuration(opts.execTimeout, "--exec-timeout");
        const { ops } = connectAll(cmd, positiveDuration(opts.timeout, "--timeout"));
        const report = await collectRoutes(ops, { node: opts.node, kubectl: kubectlTarget(cmd), execTimeoutMs });
        emit(format, report, (wide) => renderBgpRoutes(report, wide));
        process.exitCode = routesExitCode(report);
        return;
      }
      const address = parseAgentAddress(opts.agentAddress ?? "127.0.0.1:9095");
      let routes;
      try {
        routes = await fetchLocalRoutes(address, positiveDuration(cmd.optsWithGlobals<Globals>().requestTimeout, "--request-timeout"));
      } catch (err) {
        if (!(err instanceof AgentUnreachableError)) throw err;
        process.stderr.write(`petrelctl: ${err.message}\n`);
        process.exit(EXIT_FINDINGS);
      }
      if (opts.node !== undefined && routes.node !== opts.node) fail(`--node: the agent at ${address} is node "${routes.node}", not "${opts.node}"; run on ${opts.node}, or leave --local out`);
      const report = { nodes: [{ node: routes.node, routes }] };
      emit(format, report, (wide) => renderBgpRoutes(report, wide));
    });

  const ipam = root.command("ipam").description("Pools, blocks and address allocations");
  ipam
    .command("show")
    .description("pools with their usage, then every block by node; with --ip, who holds one address: pool, block, node, pod, the node's allocation record, host veth and route (exit 1 when something is wrong or the address is not in use)")
    .addOption(outputOption())
    .option("--ip <address>", "one pod address to look up")
    .option("--state-dir <dir>", "with --ip, on the node: read the node's facts here instead of through kubectl exec into its Petrel pod")
    .option("--node <name>", "with --state-dir: this node's name (default: $NODE_NAME)")
    .addOption(new Option("--node-facts", "with --ip and --state-dir: print only the node's facts as JSON, without the API (what petrelctl runs in the node's pod)").hideHelp())
    .addOption(new Option("--exec-timeout <duration>", "with --ip: how long the node may take to answer").default("20s"))
    .action(async (opts: { output: string; ip?: string; stateDir?: string; node?: string; nodeFacts?: boolean; execTimeout: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      if (opts.ip === undefined) {
        const kube = connect(cmd);
        const [pools, blocks] = await Promise.all([kube.listPools(), kube.listBlocks()]);
        const report = ipamShowReport(pools, blocks);
        emit(format, report, (wide) => renderIpamShow(report, wide));
        return;
      }
      const address = parseIpFlag(opts.ip);
      const local = recordCheckTarget(opts, process.env);
      if (opts.nodeFacts === true) {
        if (local === undefined) fail("--node-facts needs --state-dir");
        process.stdout.write(`${JSON.stringify(localNodeFacts(local.stateDir, local.node, address, opts.ip))}\n`);
        return;
      }
      const execTimeoutMs = positiveDuration(opts.execTimeout, "--exec-timeout");
      const { kube, ops } = connectAll(cmd, execTimeoutMs + 30_000);
      const report = await lookupAddress(kube, ops, address, opts.ip, { local, kubectl: kubectlTarget(cmd), execTimeoutMs });
      emit(format, report, renderAddressReport(report));
      if (report.findings.length > 0 || !report.inUse) process.exitCode = EXIT_FINDINGS;
    });
  ipam
    .command("check")
    .description("find overlapping or misplaced blocks, pods without an allocation, and addresses allocated without a pod; exit 1 when there are findings")
    .addOption(outputOption())
    .option("--state-dir <dir>", "also check, address by address, the CNI plugin's allocation records in this state directory (run on the node; default location /var/lib/petrel)")
    .option("--node <name>", "the node whose --state-dir is checked (default: $NODE_NAME)")
    .option("--check-routes", "with --state-dir: also compare the records with the node's pod routes (protocol 89) in this network namespace")
    .option("--netns <name>", "with --check-routes or --release-from-report: the node's network namespace, when it is not this one (tests, demo)")
    .option("--release-from-report <file>", "free the leaked addresses (record-without-pod) that a report of ipam check --state-dir -o json lists, with the CNI plugin's locks held; refuses every one that changed since the report. Exit 1 when any is refused")
    .action(async (opts: { output: string; stateDir?: string; node?: string; checkRoutes?: boolean; netns?: string; releaseFromReport?: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      if (opts.releaseFromReport !== undefined) {
        const file = opts.releaseFromReport;
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(file, "utf8"));
        } catch (err) {
          fail(`--release-from-report: cannot read ${file}: ${errorMessage(err)}`);
        }
        const target = reportTarget(raw, file);
        const kube = connect(cmd);
        const decisions = await withPluginLocks(target.stateDir, 30, async () => {
          // A fresh check, the records read with no ADD, DEL or GC running.
          const entries = readAllocationRecords(target.stateDir);
          const [pools, blocks, pods] = await Promise.all([kube.listPools(), kube.listBlocks(), kube.listPods()]);
          const fresh = checkReport({ pools, blocks, pods, records: { node: target.node, stateDir: target.stateDir, entries } });
          const plan = planRelease(target, entries, fresh.findings);
          for (const d of plan) if (d.release) await releaseRecord(target.stateDir, d.address, target.leaks.find((l) => l.address === d.address)?.record ?? "", opts.netns);
          return plan;
        });
        emit(format, { decisions }, renderRelease(decisions));
        if (decisions.some((d) => !d.release)) process.exitCode = EXIT_FINDINGS;
        return;
      }
      const target = recordCheckTarget(opts, process.env);
      const entries = target === undefined ? undefined : readAllocationRecords(target.stateDir);
      const podRoutes = target !== undefined && opts.checkRoutes === true ? await listPodRoutes(opts.netns) : undefined;
      const kube = connect(cmd);
      const [pools, blocks, pods] = await Promise.all([kube.listPools(), kube.listBlocks(), kube.listPods()]);
      if (target !== undefined) checkNodeKnown(target.node, [...blocks.map((b) => b.spec.node), ...pods.flatMap((p) => (p.node === undefined ? [] : [p.node]))]);
      const report = checkReport({
        pools,
        blocks,
        pods,
        ...(target === undefined || entries === undefined ? {} : { records: { ...target, entries, ...(podRoutes === undefined ? {} : { podRoutes }) } }),
      });
      emit(format, report, renderCheck(report));
      if (report.findings.length > 0) process.exitCode = EXIT_FINDINGS;
    });

  root
    .command("diags")
    .description("write one .tar.gz with what a bug report needs: versions, Petrel's objects, reports, logs, and from each node its routes, nft ruleset, state directory and CNI log (through kubectl exec); exit 1 when a part could not be collected (errors.txt says which)")
    .option("--node <name...>", "collect node-local state from these nodes only (default: every node with a Petrel pod)")
    .option("-f, --output-file <file>", "where to write the archive (default: ./petrel-diags-<time>.tar.gz)")
    .option("--tail-lines <n>", "lines of each container's log", "5000")
    .option("--exec-timeout <duration>", "how long each node may take to answer", "60s")
    .option("--timeout <duration>", "give up on the whole collection after this long", "10m")
    .action(async (opts: { node?: string[]; outputFile?: string; tailLines: string; execTimeout: string; timeout: string }, cmd: Command) => {
      const tailLines = Number(opts.tailLines);
      if (!Number.isInteger(tailLines) || tailLines < 1) fail(`--tail-lines: "${opts.tailLines}" is not a positive whole number`);
      const execTimeoutMs = positiveDuration(opts.execTimeout, "--exec-timeout");
      const { kube, ops } = connectAll(cmd, positiveDuration(opts.timeout, "--timeout"));
      const result = await collectDiags(kube, ops, {
        nodes: opts.node ?? [], outputFile: opts.outputFile, tailLines, execTimeoutMs, kubectl: kubectlTarget(cmd),
        log: (line) => process.stderr.write(`petrelctl diags: ${line}\n`),
      });
      for (const e of result.errors) process.stderr.write(`petrelctl diags: not collected: ${e}\n`);
      process.stdout.write(`${result.file}\n`);
      process.stderr.write(`petrelctl diags: wrote ${result.file} (${result.files} files, ${result.bytes} bytes${result.errors.length === 0 ? "" : `, ${result.errors.length} parts missing: see errors.txt in it`})\n`);
      if (result.errors.length > 0) process.exitCode = EXIT_FINDINGS;
    });

  const connectivity = root.command("connectivity").description("pod-to-pod checks over the pod network (what the chart's helm test runs)");
  connectivity
    .command("serve")
    .description("answer every TCP connection with one line naming this pod and its node ($NODE_NAME, $POD_NAME); runs until stopped")
    .option("--port <port>", "TCP port to listen on", "8080")
    .action((opts: { port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: "${opts.port}" is not a port number`);
      return serve(port, process.env.NODE_NAME ?? "unknown-node", process.env.POD_NAME ?? "unknown-pod", (line) => process.stderr.write(`petrelctl connectivity: ${line}\n`));
    });
  connectivity
    .command("check")
    .description("wait until a DaemonSet of `connectivity serve` pods is ready, connect to each of them from here, and report; exit 1 unless all answer")
    .requiredOption("--daemonset <name>", "the peer DaemonSet")
    .option("-n, --namespace <ns>", "its namespace (default: $POD_NAMESPACE)")
    .option("--port <port>", "the peers' port", "8080")
    .option("--wait <duration>", "how long to wait for the peers to be ready", "3m")
    .option("--connect-timeout <duration>", "how long each peer may take to answer", "5s")
    .option("--termination-log <file>", "also write the report here (in a pod: /dev/termination-log, so kubectl describe pod shows it)")
    .addOption(outputOption())
    .action(async (opts: { daemonset: string; namespace?: string; port: string; wait: string; connectTimeout: string; terminationLog?: string; output: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      const namespace = opts.namespace ?? process.env.POD_NAMESPACE;
      if (namespace === undefined || namespace === "") fail("--namespace: is required (or set POD_NAMESPACE)");
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: "${opts.port}" is not a port number`);
      const waitMs = positiveDuration(opts.wait, "--wait");
      const connectMs = positiveDuration(opts.connectTimeout, "--connect-timeout");
      const { ops } = connectAll(cmd, waitMs + 60_000);
      const log = (line: string) => process.stderr.write(`petrelctl connectivity: ${line}\n`);
      const peers = await readyPeers(ops, namespace, opts.daemonset, Date.now() + waitMs, log);
      const results = await Promise.all(peers.map((p) => probe(p, port, connectMs)));
      const report = connectivityReport(process.env.NODE_NAME, results);
      emit(format, report, renderConnectivity(report));
      // The kubelet keeps at most 4096 bytes of a termination message.
      if (opts.terminationLog !== undefined) {
        try {
          writeFileSync(opts.terminationLog, renderConnectivity(report).slice(0, 4096));
        } catch (err) {
          process.stderr.write(`petrelctl connectivity: cannot write ${opts.terminationLog}: ${errorMessage(err)}\n`);
        }
      }
      if (!report.ok) process.exitCode = EXIT_FINDINGS;
    });

  root
    .command("completion")
    .description("print a shell completion script for petrelctl and kubectl-petrel: source <(petrelctl completion bash)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell));
    });
  root
    .command("__complete", { hidden: true })
    .description("print completion candidates for the words after --, one per line (what the completion scripts call)")
    .option("--cobra", "end with cobra's :directive line, as kubectl's plugin completion (kubectl_complete-petrel) expects")
    .argument("[words...]")
    .allowUnknownOption()
    .action((words: string[], opts: { cobra?: boolean }) => {
      const candidates = complete(specOf(root), words.length === 0 ? [""] : words);
      // 4: ShellCompDirectiveNoFileComp.
      process.stdout.write(candidates.map((c) => `${c}\n`).join("") + (opts.cobra === true ? ":4\n" : ""));
    });
  return root;
}

async function main(): Promise<void> {
  try {
    // As kubectl's plugin, kubectl-petrel: the same program under the name kubectl looks for.
    const root = program();
    // (argv0 is the invoked name in the Bun-compiled executable; argv[1] the script under Node.)
    if ([process.argv0, process.argv[1] ?? ""].some((a) => basename(a).startsWith("kubectl-"))) root.name("kubectl petrel");
    await root.parseAsync(process.argv);
  } catch (err) {
    // Commander has already printed its message (or the help) for its own errors.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_ERROR);
    fail(errorMessage(err));
  }
  process.exit(process.exitCode ?? 0);
}

void main();
