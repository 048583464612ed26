/**
 * petrel-controller: wires the watch caches, the reconcile loop, leader election and the health
 * server together. Only the elected leader reconciles; a standby keeps its caches warm so that
 * it can take over within the lease duration. Losing the lease exits (the Deployment restarts
 * the pod), so that two replicas never act at once.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { InvalidInputError, errorMessage } from "../common/errors.ts";
import { loadKubeConfig } from "../common/host/kube-config.ts";
import { startHealthServer } from "../common/host/health-server.ts";
import { createLogger } from "../common/host/logger.ts";
import { runtimeText } from "../common/host/runtime.ts";
import { ClusterWatch } from "./host/cluster-watch.ts";
import { KubeLeaseStore } from "./host/lease-store.ts";
import { KubeWriter } from "./host/kube-writer.ts";
import { LeaseElector } from "./leader/lease-elector.ts";
import { collectDefaultMetrics } from "prom-client";
import { createControllerMetrics } from "./metrics.ts";
import { controllerCommand, controllerOptions } from "./options.ts";
import { ReconcileLoop } from "../common/reconcile-loop.ts";
import { Reconciler } from "./reconcile/reconciler.ts";
import { releaseFinalizers } from "./host/release-finalizers.ts";

async function main(): Promise<void> {
  const command = controllerCommand(runtimeText());
  command.parse(process.argv);
  let options;
  try {
    options = controllerOptions(command.opts(), process.env, `${hostname()}_${randomBytes(4).toString("hex")}`);
  } catch (err) {
    process.stderr.write(`petrel-controller: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const log = createLogger("petrel-controller", options.logLevel).child({ identity: options.identity });
  let kc;
  try {
    kc = loadKubeConfig(options.kubeconfig);
  } catch (err) {
    process.stderr.write(`petrel-controller: ${errorMessage(err)}\n`);
    process.exit(err instanceof InvalidInputError ? 2 : 1);
  }
  if (options.releaseFinalizers) {
    try {
      await releaseFinalizers(kc, log, 120_000);
      process.exit(0);
    } catch (err) {
      log.error("could not release the pools", { error: errorMessage(err) });
      process.exit(1);
    }
  }

  // The cache triggers the loop and the metrics read the cache: tie the knot through `late`.
  const late: { cache?: ClusterWatch; loop?: ReconcileLoop } = {};
  const metrics = createControllerMetrics(() => late.cache?.snapshot(), () => late.cache?.restarts ?? 0);
  // The process metrics: prom-client's default collectors read /proc, so they are added here.
  collectDefaultMetrics({ register: metrics.registry, prefix: "petrel_controller_" });
  const cache = new ClusterWatch(kc, log, () => late.loop?.trigger(), (resource) => metrics.apiRequest("list", resource));
  late.cache = cache;
  const writer = new KubeWriter(kc, (verb, resource) => metrics.apiRequest(verb, resource), options.eventNamespace);
  const watched = cache;
  const reconciler = new Reconciler({ cache: watched, writer, log, settings: options.plan, metrics, concurrency: options.concurrency });
  const loop = new ReconcileLoop(async () => {
    if (!watched.synced()) return { clean: false, actions: 0, failed: 0, wakeAfterMs: undefined, again: true };
    return reconciler.runPass();
  }, log, options.loop);
  late.loop = loop;
  const elector = options.leaderElect
    ? new LeaseElector(new KubeLeaseStore(kc, options.leaseNamespace, options.leaseName), options.identity, options.election, log)
    : undefined;
  const activeLoop = loop;

  const server = await startHealthServer(options.healthAddress, metrics.registry, {
    healthz: () => undefined,
    readyz: () => {
      if (!watched.synced()) return "watch caches not synced yet";
      const leading = elector === undefined || elector.leading;
      if (leading && activeLoop.lastCleanPassAt === undefined) return "leading, but no clean reconcile pass yet";
      return undefined;
    },
  });
  log.info("starting", { leaderElect: options.leaderElect, lease: `${options.leaseNamespace}/${options.leaseName}`, healthAddress: options.healthAddress });
  void watched.start();

  let stopping = false;
  const shutdown = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    await activeLoop.stop();
    await elector?.release();
    await watched.stop();
    server.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.on("SIGINT", () => void shutdown("SIGINT", 0));

  if (elector === undefined) {
    metrics.setLeader(true);
    activeLoop.start();
  } else {
    elector.run({
      onStartedLeading: () => {
        metrics.setLeader(true);
        activeLoop.start();
      },
      onStoppedLeading: () => {
        metrics.setLeader(false);
        log.error("lost leadership; exiting so that a fresh start rejoins the election");
        void shutdown("lease lost", 1);
      },
      onNewLeader: (identity) => log.info("leader is", { leader: identity }),
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`petrel-controller: ${errorMessage(err)}\n`);
  process.exit(1);
});
