/**
 * petrelctl: the operator's view of a Petrel cluster. Read-only: it lists Petrel's objects and the
 * Pods, and (with --state-dir, on a node) the CNI plugin's allocation records; it never writes.
 * Exit codes: 0 ok, 1 `ipam check` found problems, 2 usage, configuration or connection error.
 */
import { VERSION_FLAG, VERSION_HELP, commanderVersion } from "../../common/build-info.ts";
import { Command, CommanderError, Option } from "commander";
import { errorMessage } from "../../common/errors.ts";
import { loadKubeConfig } from "../../common/host/kube-config.ts";
import { checkReport, renderCheck } from "./check-report.ts";
import { readAllocationRecords } from "./host/allocation-records.ts";
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

function emit(format: OutputFormat, report: unknown, text: string): void {
  process.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : text);
}

/** The API client, and a deadline for the whole command so an unreachable server cannot hang it. */
function connect(cmd: Command): KubeReader {
  const globals = cmd.optsWithGlobals<{ kubeconfig?: string; requestTimeout?: string }>();
  const timeoutMs = positiveDuration(globals.requestTimeout, "--request-timeout");
  const kc = loadKubeConfig(globals.kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? "(unknown)";
  setTimeout(() => {
    fail(`no answer from the API server at ${server} within --request-timeout ${globals.requestTimeout ?? ""}: check that it is up and reachable from here, or raise --request-timeout`);
  }, timeoutMs).unref();
  return new KubeReader(kc);
}

const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default("table");

function program(): Command {
  const root = new Command("petrelctl")
    .version(commanderVersion("petrelctl"), VERSION_FLAG, VERSION_HELP)
    .description("Operator CLI for Petrel, the routed L3 pod network: BGP session status and IPAM checks.")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, else the in-cluster service account)")
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
      emit(format, report, renderNodeStatus(report));
    });

  const ipam = root.command("ipam").description("Pools, blocks and address allocations");
  ipam
    .command("show")
    .description("pools with their usage, then every block by node")
    .addOption(outputOption())
    .action(async (opts: { output: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      const kube = connect(cmd);
      const [pools, blocks] = await Promise.all([kube.listPools(), kube.listBlocks()]);
      const report = ipamShowReport(pools, blocks);
      emit(format, report, renderIpamShow(report));
    });
  ipam
    .command("check")
    .description("find overlapping or misplaced blocks, pods without an allocation, and addresses allocated without a pod; exit 1 when there are findings")
    .addOption(outputOption())
    .option("--state-dir <dir>", "also check, address by address, the CNI plugin's allocation records in this state directory (run on the node; default location /var/lib/petrel)")
    .option("--node <name>", "the node whose --state-dir is checked (default: $NODE_NAME)")
    .action(async (opts: { output: string; stateDir?: string; node?: string }, cmd: Command) => {
      const format = outputFormat(opts.output);
      const target = recordCheckTarget(opts, process.env);
      const entries = target === undefined ? undefined : readAllocationRecords(target.stateDir);
      const kube = connect(cmd);
      const [pools, blocks, pods] = await Promise.all([kube.listPools(), kube.listBlocks(), kube.listPods()]);
      if (target !== undefined) checkNodeKnown(target.node, [...blocks.map((b) => b.spec.node), ...pods.flatMap((p) => (p.node === undefined ? [] : [p.node]))]);
      const report = checkReport({
        pools,
        blocks,
        pods,
        ...(target === undefined || entries === undefined ? {} : { records: { ...target, entries } }),
      });
      emit(format, report, renderCheck(report));
      if (report.findings.length > 0) process.exitCode = EXIT_FINDINGS;
    });
  return root;
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (err) {
    // Commander has already printed its message (or the help) for its own errors.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_ERROR);
    fail(errorMessage(err));
  }
  process.exit(process.exitCode ?? 0);
}

void main();
