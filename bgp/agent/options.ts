/** The agent's command line (commander), validated with errors that name the flag and the fix. */
import { VERSION_FLAG, VERSION_HELP, commanderVersion } from "../../common/build-info.ts";
import { Command, Option } from "commander";
import { parseDuration } from "../../common/duration.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { logLevels, type LogLevel } from "../../common/logger.ts";

export interface AgentOptions {
  readonly kubeconfig: string | undefined;
  readonly nodeName: string;
  readonly gobgpAddress: string;
  readonly gobgpProtoDir: string | undefined;
  readonly stateDir: string;
  readonly netns: string | undefined;
  readonly namespace: string;
  readonly healthAddress: string;
  readonly resyncMs: number;
  readonly routeSettleMs: number;
  readonly statusIntervalMs: number;
  readonly heartbeatMs: number;
  readonly nodeAddressGraceMs: number;
  /** The IPAM check (records against Pods, blocks and routes) runs at least this often. */
  readonly ipamCheckMs: number;
  /** A record whose pod is gone is freed after this long (0: never, only counted). */
  readonly podGcGraceMs: number;
  /** The DaemonSet running the agent: once it is gone (helm uninstall), SIGTERM cleans the node. */
  readonly daemonset: string | undefined;
  readonly logLevel: LogLevel;
}

/** Where the chart puts gobgpd's API: a unix socket in a directory only the agent and gobgpd share. */
export const defaultGobgpAddress = "unix:///run/petrel/gobgp/gobgpd.sock";

/** `runtime`: what the agent runs on, for --version (main.ts reads it: common/host/runtime.ts). */
export function agentCommand(runtime: string): Command {
  return new Command("petrel-agent")
    .version(commanderVersion("petrel-agent", runtime), VERSION_FLAG, VERSION_HELP)
    .description("Petrel's node agent: drives gobgpd over gRPC to advertise this node's blocks and programs the kernel with the other nodes' routes.")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, else the in-cluster service account)")
    .option("--node-name <name>", "this node's name (default: $NODE_NAME)")
    .option("--gobgp-address <target>", "gobgpd's gRPC API: unix:///path (private to the agent and gobgpd) or host:port", defaultGobgpAddress)
    .option("--gobgp-proto-dir <dir>", "directory of gobgp's .proto files (default: $PETREL_GOBGP_PROTO_DIR, else Debian's)")
    .option("--state-dir <dir>", "node state directory shared with the CNI plugin (blocks.json, allocations/)", "/var/lib/petrel")
    .option("--netns <name>", "program routes in this named network namespace instead of the agent's own (tests, demo)")
    .option("--namespace <ns>", "the agent's namespace: of the Secrets holding BGP passwords and of --daemonset (default: $POD_NAMESPACE, else kube-system)")
    .option("--health-address <host:port>", "address of /healthz, /readyz and /metrics", "0.0.0.0:9095")
    .option("--resync-period <d>", "the slow full comparison (gobgpd's RIB and configuration against the kernel and the cluster) at least this often", "5m")
    .option("--route-settle-time <d>", "after a start or a gobgpd restart, remove no route for this long (sessions re-learn them)", "30s")
    .option("--status-interval <d>", "minimum time between two status writes of one object", "2s")
    .option("--heartbeat-period <d>", "the node status is rewritten at least this often", "60s")
    .option("--node-address-grace <d>", "a Node that reports no InternalIP keeps its last address (peer, routes) this long", "5m")
    .option("--ipam-check-period <d>", "check the CNI plugin's allocation records against the node's Pods, blocks and pod routes at least this often", "30s")
    .option("--pod-gc-grace-period <d>", "free the address of a pod that is gone (no CNI DEL) after this long; 0 only counts them", "5m")
    .option("--daemonset <name>", "the DaemonSet running this agent (in --namespace): when it is gone or being deleted at SIGTERM (helm uninstall), the node's Petrel routes, blackholes and nft table are removed (unset: never)")
    .addOption(new Option("--log-level <level>", "log level").choices(logLevels).default("info"));
}

export function agentOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): AgentOptions {
  const str = (k: string) => (typeof flags[k] === "string" && flags[k] !== "" ? (flags[k] as string) : undefined);
  const positive = (k: string, flag: string) => {
    const ms = parseDuration(str(k) ?? "", flag);
    if (ms <= 0) throw new InvalidInputError(flag, "must be longer than 0");
    return ms;
  };
  const nodeName = str("nodeName") ?? env.NODE_NAME;
  if (nodeName === undefined || nodeName === "") {
    throw new InvalidInputError("--node-name", "is required: pass --node-name or set NODE_NAME (in a DaemonSet, from spec.nodeName through the downward API)");
  }
  const healthAddress = str("healthAddress") ?? "";
  const port = Number(/:(\d{1,5})$/.exec(healthAddress)?.[1] ?? NaN);
  if (!(port >= 0 && port <= 65535)) throw new InvalidInputError("--health-address", `"${healthAddress}" is not host:port, e.g. 0.0.0.0:9095`);
  return {
    kubeconfig: str("kubeconfig"),
    nodeName,
    gobgpAddress: str("gobgpAddress") ?? defaultGobgpAddress,
    gobgpProtoDir: str("gobgpProtoDir"),
    stateDir: str("stateDir") ?? "/var/lib/petrel",
    netns: str("netns"),
    namespace: str("namespace") ?? env.POD_NAMESPACE ?? "kube-system",
    healthAddress,
    resyncMs: positive("resyncPeriod", "--resync-period"),
    routeSettleMs: parseDuration(str("routeSettleTime") ?? "", "--route-settle-time"),
    statusIntervalMs: positive("statusInterval", "--status-interval"),
    heartbeatMs: positive("heartbeatPeriod", "--heartbeat-period"),
    nodeAddressGraceMs: parseDuration(str("nodeAddressGrace") ?? "", "--node-address-grace"),
    ipamCheckMs: positive("ipamCheckPeriod", "--ipam-check-period"),
    podGcGraceMs: parseDuration(str("podGcGracePeriod") ?? "", "--pod-gc-grace-period"),
    daemonset: str("daemonset"),
    logLevel: (str("logLevel") ?? "info") as LogLevel,
  };
}
