/**
 * petrel-agent: wires the watch caches, gobgpd's client, the kernel and the state directory to
 * the agent, plus the health server. Four loops (agent.ts): config (cluster changes), routes
 * (best-path changes), full (the slow anti-entropy comparison) and status (its own timer).
 */
import { routesViewPath } from "../../common/bgp-routes.ts";
import { InvalidInputError, errorMessage } from "../../common/errors.ts";
import { startHealthServer } from "../../common/host/health-server.ts";
import { KubeRest, loadKubeRestConfig } from "../../common/host/kube-rest.ts";
import { createLogger } from "../../common/logger.ts";
import { ReconcileLoop } from "../../common/reconcile-loop.ts";
import { connectGobgp } from "../gobgp/host/connect-gobgp.ts";
import { Agent } from "./agent.ts";
import { AgentClusterWatch } from "./host/cluster-watch.ts";
import { ensureForwarding } from "./host/forwarding.ts";
import { applyChanges, listRoutes } from "./host/kernel-routes.ts";
import { AgentKubeWriter } from "./host/kube-status.ts";
import { applyNft } from "./host/nftables.ts";
import { deleteLink, listPodRoutes, reapRetiredPairs } from "./host/pod-routes.ts";
import { PodEvents } from "./host/pod-events.ts";
import { NodePodWatch } from "./host/pod-watch.ts";
import { allocatedAddresses, readBlocksFile, readRecords, releaseRecord, withPluginLocks, writeBlocksFile } from "./host/state-dir.ts";
import { PodGc } from "./pod-gc.ts";
import { hostVethName } from "../../common/pod-veth.ts";
import { createAgentMetrics } from "./metrics.ts";
import { agentCommand, agentOptions } from "./options.ts";

async function main(): Promise<void> {
  const command = agentCommand();
  command.parse(process.argv);
  let options;
  let kc;
  try {
    options = agentOptions(command.opts(), process.env);
    kc = loadKubeRestConfig(options.kubeconfig);
  } catch (err) {
    process.stderr.write(`petrel-agent: ${errorMessage(err)}\n`);
    process.exit(err instanceof InvalidInputError ? 2 : 1);
  }
  const log = createLogger("petrel-agent", options.logLevel).child({ node: options.nodeName });
  const metrics = createAgentMetrics(options.nodeName);
  const late: { agent?: Agent; ipam?: ReconcileLoop } = {};
  const rest = new KubeRest(kc);
  const cluster = new AgentClusterWatch(rest, options.nodeName, log, {
    onChange: () => {
      late.agent?.triggers.config();
      late.ipam?.trigger();
    },
    onBlock: (e) => late.agent?.blockEvent(e.type, e.name, e.labels),
  });
  const bgp = connectGobgp({ address: options.gobgpAddress, ...(options.gobgpProtoDir === undefined ? {} : { protoDir: options.gobgpProtoDir }) });
  const writer = new AgentKubeWriter(rest, options.namespace);
  const netns = options.netns;
  const agent = new Agent({
    cluster,
    bgp,
    kernel: { list: () => listRoutes(netns), apply: (changes) => applyChanges(netns, changes) },
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
    nodeAddressGraceMs: options.nodeAddressGraceMs,
  }, metrics);
  late.agent = agent;
  // Flow 5: the node's records against its Pods, blocks and pod routes; frees pods' addresses
  // that no CNI DEL freed (bgp/agent/pod-gc.ts).
  const podWatch = new NodePodWatch(rest, options.nodeName, log, () => late.ipam?.trigger());
  const podEvents = new PodEvents(rest, options.nodeName);
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
  const backoff = { minBackoffMs: 500, maxBackoffMs: 10_000 };
  // Only the full comparison runs on a timer (--resync-period); the others run when asked. Their
  // resync is a safety net (a lost trigger), not work: a pass with nothing to do does nothing.
  const config = new ReconcileLoop(() => agent.configPass(), log, { ...backoff, debounceMs: 20, resyncMs: options.resyncMs });
  const routes = new ReconcileLoop(() => agent.routePass(), log, { ...backoff, debounceMs: 5, resyncMs: options.resyncMs });
  const full = new ReconcileLoop(() => agent.fullPass(), log, { ...backoff, debounceMs: 50, resyncMs: options.resyncMs });
  const status = new ReconcileLoop(() => agent.statusPass(), log, { ...backoff, debounceMs: 50, resyncMs: Math.max(options.statusIntervalMs, 10_000) });
  // The IPAM check (flow 5) at least every --ipam-check-period, and a second after a change of
  // the node's Pods or of the cluster.
  const ipam = new ReconcileLoop(() => (cluster.synced() ? podGc.pass() : Promise.resolve({ clean: false })), log, { ...backoff, debounceMs: 1000, resyncMs: options.ipamCheckMs });
  late.ipam = ipam;
  agent.triggers = {
    config: (ms) => config.trigger(ms),
    routes: (ms) => routes.trigger(ms),
    full: (ms) => full.trigger(ms),
    status: (ms) => status.trigger(ms),
  };

  const server = await startHealthServer(options.healthAddress, metrics.registry, {
    healthz: () => undefined,
    readyz: () => agent.readiness(),
    // petrelctl bgp routes --local (common/bgp-routes.ts).
    localViews: { [routesViewPath]: () => agent.routesView() },
  });
  log.info("starting", { gobgp: options.gobgpAddress, stateDir: options.stateDir, netns: options.netns ?? "(own)" });
  void cluster.start();
  void podWatch.start();
  agent.watchBgp();
  // The kernel is listed first (full pass), so that routes already there are known, and kept,
  // before anything can be verified.
  full.start();
  routes.start();
  config.start();
  status.start();
  ipam.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Routes and gobgpd's state stay as they are: a restarting agent must not disturb traffic.
    log.info("stopping; routes and BGP sessions are left in place", { signal });
    agent.stopWatching();
    await Promise.all([config.stop(), routes.stop(), full.stop(), status.stop(), ipam.stop()]);
    cluster.stop();
    await podWatch.stop();
    rest.close();
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
