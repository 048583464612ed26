/**
 * petrel-agent: wires the watch caches, gobgpd's client, the kernel and the state directory to
 * the agent, plus the health server. Four loops (agent.ts): config (cluster changes), routes
 * (best-path changes), full (the slow anti-entropy comparison) and status (its own timer).
 */
import { recordName } from "../../common/allocation-record.ts";
import { routesViewPath } from "../../common/bgp-routes.ts";
import { InvalidInputError, errorMessage } from "../../common/errors.ts";
import { removeAllocationRecord } from "../../common/host/allocation-records.ts";
import { startHealthServer } from "../../common/host/health-server.ts";
import { KubeRest, loadKubeRestConfig } from "../../common/host/kube-rest.ts";
import { OwnerDaemonSet } from "../../common/host/owner-daemonset.ts";
import { createLogger } from "../../common/host/logger.ts";
import { deleteHostVeth, listPodRoutes } from "../../common/host/pod-routes.ts";
import { runtimeText } from "../../common/host/runtime.ts";
import { ReconcileLoop } from "../../common/reconcile-loop.ts";
import { connectGobgp } from "../gobgp/host/connect-gobgp.ts";
import { Agent } from "./agent.ts";
import { AgentClusterWatch } from "./host/cluster-watch.ts";
import { ensureForwarding } from "./host/forwarding.ts";
import { IpBatch } from "./host/ip-batch.ts";
import { applyChanges, listRoutes } from "./host/kernel-routes.ts";
import { AgentKubeWriter } from "./host/kube-status.ts";
import { applyNft } from "./host/nftables.ts";
import { PodEvents } from "./host/pod-events.ts";
import { NodePodWatch } from "./host/pod-watch.ts";
import { reapRetiredPairs } from "./host/retired-pairs.ts";
import { allocatedAddresses, readBlocksFile, readRecords, withPluginLocks, writeBlocksFile } from "./host/state-dir.ts";
import { PodGc } from "./pod-gc.ts";
import { hostVethName } from "../../common/pod-veth.ts";
import { collectDefaultMetrics } from "prom-client";
import { createAgentMetrics, processMetricsOptions } from "./metrics.ts";
import { cleanNode } from "./node-cleanup.ts";
import type { KernelPort } from "./route-plan.ts";
import { agentCommand, agentOptions } from "./options.ts";

async function main(): Promise<void> {
  const command = agentCommand(runtimeText());
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
  // The process metrics: prom-client's default collectors read /proc, so they are added here
  // (their event-loop monitor's precision: metrics.ts says why it is not prom-client's default).
  collectDefaultMetrics({ register: metrics.registry, ...processMetricsOptions });
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
  const routeBatch = new IpBatch({ netns });
  const kernel: KernelPort = { list: () => listRoutes(netns), apply: (changes) => applyChanges(routeBatch, changes) };
  const nat = { apply: (script: string) => applyNft(netns, script) };
  const agent = new Agent({
    cluster,
    bgp,
    kernel,
    state: {
      writeBlocks: (text) => writeBlocksFile(options.stateDir, text),
      readBlocks: () => readBlocksFile(options.stateDir),
      allocated: () => allocatedAddresses(options.stateDir),
      allocatedAfterBarrier: () => withPluginLocks(options.stateDir, 30, () => allocatedAddresses(options.stateDir)),
    },
    kube: writer,
    nat,
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
      await deleteHostVeth(netns, hostVethName(r.network, r.containerId, r.ifname));
      removeAllocationRecord(options.stateDir, recordName(r.address));
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
  // The received-routes audit (received-audit.ts): every 5 s, and a second after a session
  // changes. A pass reads the peers' counters (one ListPeer); it lists a peer's routes only when
  // gobgpd refused some and they changed.
  const audit = new ReconcileLoop(() => agent.auditPass(), log, { ...backoff, debounceMs: 1000, resyncMs: 5000 });
  // The IPAM check (flow 5) at least every --ipam-check-period, and a second after a change of
  // the node's Pods or of the cluster. Idle, with the 30 s default, its `ip` spawns cost about
  // 20 ms of CPU a minute (0.03 % of a core; CPU profile in bench:routes' idle window).
  const ipam = new ReconcileLoop(() => (cluster.synced() ? podGc.pass() : Promise.resolve({ clean: false })), log, { ...backoff, debounceMs: 1000, resyncMs: options.ipamCheckMs });
  late.ipam = ipam;
  agent.triggers = {
    config: (ms) => config.trigger(ms),
    routes: (ms) => routes.trigger(ms),
    full: (ms) => full.trigger(ms),
    status: (ms) => status.trigger(ms),
    audit: (ms) => audit.trigger(ms),
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
  // Watched from the start: at SIGTERM after helm uninstall the RBAC may already be gone.
  const owner = options.daemonset === undefined ? undefined : new OwnerDaemonSet(rest, options.namespace, options.daemonset, log);
  owner?.start();
  agent.watchBgp();
  // The kernel is listed first (full pass), so that routes already there are known, and kept,
  // before anything can be verified.
  full.start();
  routes.start();
  config.start();
  status.start();
  audit.start();
  ipam.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Read at once, while the loops stop (nothing may program the kernel once cleanup starts);
    // decided after, with whatever the watch has seen by then.
    const read = owner?.read();
    agent.stopWatching();
    await Promise.all([config.stop(), routes.stop(), full.stop(), status.stop(), audit.stop(), ipam.stop()]);
    cluster.stop();
    await podWatch.stop();
    const decision = owner === undefined || read === undefined ? undefined : owner.decide(await read);
    owner?.stop();
    if (decision?.gone === true) {
      // helm uninstall: the node's Petrel routes, blackholes and nft table go (node-cleanup.ts).
      const r = await cleanNode({ kernel, nat });
      const fields = { signal, why: decision.reason, removedRoutes: r.removed, natTableRemoved: r.natRemoved };
      if (r.errors.length === 0) log.info("release uninstalled: removed this node's Petrel routes and nft table", fields);
      else log.error("release uninstalled, but some of this node's Petrel state could not be removed: remove it by hand (docs/upgrade.md, Uninstalling)", { ...fields, left: r.left, errors: r.errors });
    } else {
      // Routes and gobgpd's state stay as they are: a restarting agent must not disturb traffic.
      log.info("stopping; routes and BGP sessions are left in place", { signal, why: decision?.reason ?? "no --daemonset: never cleans up" });
    }
    rest.close();
    bgp.close();
    routeBatch.close();
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
