/**
 * The controller's command line (commander): every flag with its default and meaning in --help,
 * and validation that names the flag and the fix.
 */
import { VERSION_FLAG, VERSION_HELP, commanderVersion } from "../common/build-info.ts";
import { Command, Option } from "commander";
import { parseDuration } from "../common/duration.ts";
import { InvalidInputError } from "../common/errors.ts";
import { logLevels, type LogLevel } from "../common/logger.ts";
import type { PlanSettings } from "./core/plan.ts";
import type { ElectionTiming } from "./leader/lease-elector.ts";
import type { LoopOptions } from "../common/reconcile-loop.ts";

export interface ControllerOptions {
  readonly kubeconfig: string | undefined;
  readonly identity: string;
  readonly leaderElect: boolean;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly election: ElectionTiming;
  readonly plan: PlanSettings;
  readonly loop: LoopOptions;
  readonly concurrency: number;
  readonly healthAddress: string;
  readonly eventNamespace: string;
  readonly logLevel: LogLevel;
  /** Uninstall mode (see controller/host/release-finalizers.ts). */
  readonly releaseFinalizers: boolean;
}

/** `runtime`: what the controller runs on, for --version (main.ts reads it: common/host/runtime.ts). */
export function controllerCommand(runtime: string): Command {
  return new Command("petrel-controller")
    .version(commanderVersion("petrel-controller", runtime), VERSION_FLAG, VERSION_HELP)
    .description("Petrel's cluster controller: cuts IPPools into IPAMBlocks and hands them to nodes (one active replica, elected on a Lease).")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, else the in-cluster service account)")
    .option("--identity <name>", "this replica's name in the Lease (default: $POD_NAME, else hostname_random)")
    .option("--no-leader-elect", "act without leader election (only for a single replica)")
    .option("--lease-namespace <ns>", "namespace of the leader-election Lease (default: $POD_NAMESPACE, else kube-system)")
    .option("--lease-name <name>", "name of the leader-election Lease", "petrel-controller")
    .option("--leader-elect-lease-duration <d>", "how long a standby waits after the leader's last renewal before taking over", "15s")
    .option("--leader-elect-renew-deadline <d>", "how long the leader keeps trying to renew before it stops leading (and exits)", "10s")
    .option("--leader-elect-retry-period <d>", "interval between attempts to acquire or renew the Lease", "2s")
    .option("--node-grace-period <d>", "how long a deleted Node's blocks are kept before they return to the pool", "5m")
    .option("--release-grace-period <d>", "how long an extra block must stay empty before it returns to the pool", "10m")
    .option("--high-water <fraction>", "usage of a node's blocks in a pool at which it gets another block", "0.8")
    .option("--low-water <fraction>", "an empty extra block returns only if usage stays below this without it", "0.5")
    .option("--resync-period <d>", "full reconcile at least this often, events or not", "60s")
    .option("--status-interval <d>", "minimum time between two status writes of one IPPool", "1s")
    .option("--concurrency <n>", "API writes in flight at once", "16")
    .option("--health-address <host:port>", "address of /healthz, /readyz and /metrics", "0.0.0.0:9094")
    .option("--event-namespace <ns>", "namespace for Events about cluster-scoped objects", "default")
    .option("--release-finalizers", "do not run: delete every IPPool, taking Petrel's finalizer off, and exit when none is left (the Helm chart's pre-delete hook)")
    .addOption(new Option("--log-level <level>", "log level").choices(logLevels).default("info"));
}

function fraction(text: string, flag: string): number {
  const v = Number(text);
  if (!(v > 0 && v <= 1)) throw new InvalidInputError(flag, `"${text}" is not a fraction between 0 and 1 (exclusive of 0), e.g. 0.8`);
  return v;
}

/** Validated options from parsed flags and the environment. */
export function controllerOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, defaultIdentity: string): ControllerOptions {
  const str = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  const dur = (k: string, flag: string) => {
    const ms = parseDuration(str(k) ?? "", flag);
    if (ms <= 0 && !["nodeGracePeriod", "releaseGracePeriod", "statusInterval"].includes(k)) {
      throw new InvalidInputError(flag, "must be longer than 0 (a zero period would spin against the API server)");
    }
    return ms;
  };
  const election: ElectionTiming = {
    leaseDurationMs: dur("leaderElectLeaseDuration", "--leader-elect-lease-duration"),
    renewDeadlineMs: dur("leaderElectRenewDeadline", "--leader-elect-renew-deadline"),
    retryPeriodMs: dur("leaderElectRetryPeriod", "--leader-elect-retry-period"),
  };
  if (!(election.renewDeadlineMs < election.leaseDurationMs)) {
    throw new InvalidInputError("--leader-elect-renew-deadline", "must be shorter than --leader-elect-lease-duration, or two leaders could overlap");
  }
  if (!(election.retryPeriodMs < election.renewDeadlineMs)) {
    throw new InvalidInputError("--leader-elect-retry-period", "must be shorter than --leader-elect-renew-deadline");
  }
  const highWater = fraction(str("highWater") ?? "", "--high-water");
  const lowWater = fraction(str("lowWater") ?? "", "--low-water");
  if (!(lowWater < highWater)) throw new InvalidInputError("--low-water", `must be below --high-water (${highWater}), or blocks would flap`);
  const concurrency = Number(str("concurrency"));
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256)) {
    throw new InvalidInputError("--concurrency", `"${str("concurrency")}" is not a whole number from 1 to 256`);
  }
  const healthAddress = str("healthAddress") ?? "";
  const port = Number(/:(\d{1,5})$/.exec(healthAddress)?.[1] ?? NaN);
  if (!/^(\[[0-9a-fA-F:]+\]|[^:]*):\d{1,5}$/.test(healthAddress) || !(port >= 0 && port <= 65535)) {
    throw new InvalidInputError("--health-address", `"${healthAddress}" is not host:port, e.g. 0.0.0.0:9094 or 127.0.0.1:19094`);
  }
  return {
    kubeconfig: str("kubeconfig"),
    identity: str("identity") ?? env.POD_NAME ?? defaultIdentity,
    leaderElect: flags.leaderElect !== false,
    leaseNamespace: str("leaseNamespace") ?? env.POD_NAMESPACE ?? "kube-system",
    leaseName: str("leaseName") ?? "petrel-controller",
    election,
    plan: {
      nodeGracePeriodMs: dur("nodeGracePeriod", "--node-grace-period"),
      releaseGracePeriodMs: dur("releaseGracePeriod", "--release-grace-period"),
      highWater,
      lowWater,
      statusMinIntervalMs: dur("statusInterval", "--status-interval"),
    },
    loop: { debounceMs: 50, resyncMs: dur("resyncPeriod", "--resync-period"), minBackoffMs: 500, maxBackoffMs: 30_000 },
    concurrency,
    healthAddress,
    eventNamespace: str("eventNamespace") ?? "default",
    logLevel: (str("logLevel") ?? "info") as LogLevel,
    releaseFinalizers: flags.releaseFinalizers === true,
  };
}
