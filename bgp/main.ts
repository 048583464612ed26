/**
 * petrel-agent: wires the watch caches, gobgpd's client, the kernel and the state directory to
 * the agent's reconcile, plus the health server. Two loops: a full pass (cluster changes, resync,
 * gobgpd restarts) and a route pass (every best-path change).
 */
import { InvalidInputError, errorMessage } from "../common/errors.ts";
import { startHealthServer } from "../common/host/health-server.ts";
import { loadKubeConfig } from "../common/host/kube-config.ts";
import { createLogger } from "../common/logger.ts";
import { ReconcileLoop } from "../common/reconcile-loop.ts";
import { Agent } from "./agent/agent.ts";
import { connectGobgp } from "./gobgp/host/connect-gobgp.ts";
import { AgentClusterWatch } from "./host/cluster-watch.ts";
import { applyRouteBatch, listPetrelRoutes } from "./host/kernel-routes.ts";
import { ensureForwarding } from "./host/forwarding.ts";
import { applyNft } from "./host/nftables.ts";
import { AgentKubeWriter } from "./host/kube-status.ts";
import { allocatedAddresses, readBlocksFile, readRecords, releaseRecord, withPluginLocks, writeBlocksFile } from "./host/state-dir.ts";
import { NodePodWatch } from "./host/pod-watch.ts";
import { PodEvents } from "./host/pod-events.ts";
import { deleteLink, listPodRoutes, reapRetiredPairs } from "./host/pod-routes.ts";
import { PodGc } from "./agent/pod-gc.ts";
import { hostVethName } from "../common/pod-veth.ts";
import { createAgentMetrics } from "./metrics.ts";
import { agentCommand, agentOptions } from "./options.ts";

async function main(): Promise<void> {
  const command = agentCommand();
  command.parse(process.argv);
  let options;
  let kc;
  try {
    options = agentOptions(command.opts(), process.env);
    kc = loadKubeConfig(options.kubeconfig);
  } catch (err) {
    process.stderr.write(`petrel-agent: ${errorMessage(err)}\n`);
    process.exit(err instanceof InvalidInputError ? 2 : 1);
  }
  const log = createLogger("petrel-agent", options.logLevel).child({ node: options.nodeName });
  const metrics = createAgentMetrics(options.nodeName);
  const late: { full?: ReconcileLoop; routes?: ReconcileLoop; ipam?: ReconcileLoop } = {};
  const cluster = new AgentClusterWatch(kc, options.nodeName, log, () => late.full?.trigger());
  const bgp = connectGobgp({ address: options.gobgpAddress, ...(options.gobgpProtoDir === undefined ? {} : { protoDir: options.gobgpProtoDir }) });
  const writer = new AgentKubeWriter(kc, options.namespace);
  const netns = options.netns;
  const agent = new Agent({
    cluster,
    bgp,
    kernel: { list: () => listPetrelRoutes(netns), apply: (batch) => applyRouteBatch(netns, batch) },
    state: {
      writeBlocks: (text) => writeBlocksFile(options.stateDir, text),
      readBlocks: () => readBlocksFile(options.stateDir),
      allocated: () => allocatedAddresses(options.stateDir),
      allocatedAfterBarrier: () => withPluginLocks(options.stateDir, 30, () => allocatedAddresses(options.stateDir)),
    },
    kube: writer,
    nat: { apply: (script) => applyNft(netns, script) },
    forwarding: { ensure: (families) => ensureForwarding(netns, families) },
    log,
  }, {
    nodeName: options.nodeName,
    routeSettleMs: options.routeSettleMs,
    statusIntervalMs: options.statusIntervalMs,
    heartbeatMs: options.heartbeatMs,
  }, metrics);
  // Flow 5: the node's records against its Pods, blocks and pod routes; frees pods' addresses
  // that no CNI DEL freed (bgp/agent/pod-gc.ts).
  const podWatch = new NodePodWatch(kc, options.nodeName, log, () => late.ipam?.trigger());
  const podEvents = new PodEvents(kc, options.nodeName);
  const podGc = new PodGc({
    pods: () => podWatch.pods(),
    blocks: () => cluster.snapshot().blocks.map((b) => b.spec.cidr),
    pools: () => cluster.snapshot().pools.map((p) => p.spec.cidr),
    records: () => readRecords(options.stateDir),
    podRoutes: () => listPodRoutes(netns),
    locked: (fn) => withPluginLocks(options.stateDir, 30, fn),
    release: async (r) => {
      await deleteLink(netns, hostVethName(r.network, r.containerId, r.ifname));
      releaseRecord(options.stateDir, r.address);
    },
    podEvent: (pod, reason, message) => podEvents.record(pod, reason, message),
    reapRetired: () => reapRetiredPairs(netns, options.stateDir),
    log: log.child({ component: "ipam-check" }),
  }, options.podGcGraceMs > 0 ? options.podGcGraceMs : Number.POSITIVE_INFINITY, metrics);
  const loopOptions = { debounceMs: 20, resyncMs: options.resyncMs, minBackoffMs: 500, maxBackoffMs: 10_000 };
  const full = new ReconcileLoop(() => agent.fullPass(), log, loopOptions);
  const routes = new ReconcileLoop(() => agent.routePass(), log, { ...loopOptions, debounceMs: 10 });
  const ipam = new ReconcileLoop(() => (cluster.synced() ? podGc.pass() : Promise.resolve({ clean: false })), log, { ...loopOptions, debounceMs: 1000, resyncMs: options.ipamCheckMs });
  late.ipam = ipam;
  late.full = full;
  late.routes = routes;
  agent.onRoutesChanged = () => routes.trigger();
  agent.onGobgpRestarted = () => full.trigger(0);

  const server = await startHealthServer(options.healthAddress, metrics.registry, {
    healthz: () => undefined,
    readyz: () => {
      if (!cluster.synced()) return "watch caches not synced yet";
      if (agent.lastCleanFullPassAt === undefined) return "no clean pass yet (gobgpd configured, routes programmed, blocks written)";
      return undefined;
    },
  });
  log.info("starting", { gobgp: options.gobgpAddress, stateDir: options.stateDir, netns: options.netns ?? "(own)" });
  void cluster.start();
  void podWatch.start();
  agent.watchBestPaths();
  full.start();
  routes.start();
  ipam.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Routes and gobgpd's state stay as they are: a restarting agent must not disturb traffic.
    log.info("stopping; routes and BGP sessions are left in place", { signal });
    agent.stopWatching();
    await Promise.all([full.stop(), routes.stop(), ipam.stop()]);
    await Promise.all([cluster.stop(), podWatch.stop()]);
    bgp.close();
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`petrel-agent: ${errorMessage(err)}\n`);
  process.exit(1);
});
