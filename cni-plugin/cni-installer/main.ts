/**
 * petrel-cni-installer: the node DaemonSet's `install-cni` container (a native sidecar: an init
 * container with restartPolicy Always). It installs the `petrel` executable, the chained
 * reference plugins and the conflist into the host's CNI directories, re-checks them
 * periodically (a deleted or edited conflist comes back), and on SIGTERM removes what it
 * installed if, and only if, its DaemonSet is gone or being deleted: `helm uninstall`
 * (common/release-gone.ts, the rule it shares with the agent).
 */
import { VERSION_FLAG, VERSION_HELP, commanderVersion } from "../../common/build-info.ts";
import { Command, Option } from "commander";
import { readdirSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { parseDuration } from "../../common/duration.ts";
import { errorMessage } from "../../common/errors.ts";
import { KubeRest, loadKubeRestConfig } from "../../common/host/kube-rest.ts";
import { OwnerDaemonSet } from "../../common/host/owner-daemonset.ts";
import { createLogger } from "../../common/host/logger.ts";
import { runtimeText } from "../../common/host/runtime.ts";
import { logLevels, type LogLevel } from "../../common/logger.ts";
import { planInstall, planUninstall, type InstallItem } from "./install-plan.ts";
import { installFile, readRecord, removeFile, sha256File, writeRecord } from "./host/install-files.ts";
import { ASIDE_SUFFIX, planRestore, planTakeover } from "./takeover-plan.ts";

interface Flags {
  binDir: string;
  confDir: string;
  pluginsDir: string;
  replace: string[];
  skip: string[];
  conflist: string;
  stateDir: string;
  daemonset?: string;
  namespace?: string;
  recheckPeriod: string;
  once?: boolean;
  exclusive?: boolean;
  logLevel: LogLevel;
  kubeconfig?: string;
}

function command(): Command {
  return new Command("petrel-cni-installer")
    .version(commanderVersion("petrel-cni-installer", runtimeText()), VERSION_FLAG, VERSION_HELP)
    .description("Installs Petrel's CNI plugin and conflist into the host's CNI directories, keeps them there, and removes them when the chart is uninstalled.")
    .option("--bin-dir <dir>", "host CNI executables directory, as mounted in this container", "/host/opt/cni/bin")
    .option("--conf-dir <dir>", "host CNI configuration directory, as mounted in this container", "/host/etc/cni/net.d")
    .option("--plugins-dir <dir>", "executables to install (every file in it)", "/opt/petrel/cni")
    .option("--replace <names...>", "executables that replace the host's copy (others are installed only where the host has none)", ["petrel"])
    .option("--skip <names...>", "executables of --plugins-dir not to install (e.g. portmap when the chain does not use it)", [])
    .option("--conflist <file>", "the conflist to install (its file name is kept)", "/etc/petrel/cni/00-petrel.conflist")
    .option("--state-dir <dir>", "node state directory; holds the record of installed files", "/var/lib/petrel")
    .option("--daemonset <name>", "the DaemonSet running this container: its deletion means uninstall (unset: never uninstall)")
    .option("--namespace <ns>", "namespace of that DaemonSet (default: $POD_NAMESPACE)")
    .option("--recheck-period <d>", "how often the installed files are checked and repaired", "60s")
    .option("--once", "install and exit (no re-check, no uninstall)")
    .option("--exclusive", `move every other CNI config in --conf-dir aside (renamed *${ASIDE_SUFFIX}; back on uninstall), at install and every re-check`)
    .option("--kubeconfig <file>", "kubeconfig (default: $KUBECONFIG, else the in-cluster service account)")
    .addOption(new Option("--log-level <level>", "log level").choices(logLevels).default("info"));
}

async function main(): Promise<void> {
  const cmd = command();
  cmd.parse(process.argv);
  const flags = cmd.opts<Flags>();
  const log = createLogger("petrel-cni-installer", flags.logLevel).child({ node: process.env.NODE_NAME });
  let recheckMs: number;
  try {
    recheckMs = parseDuration(flags.recheckPeriod, "--recheck-period");
  } catch (err) {
    process.stderr.write(`petrel-cni-installer: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const namespace = flags.namespace ?? process.env.POD_NAMESPACE;
  if (flags.daemonset !== undefined && (namespace === undefined || namespace === "")) {
    process.stderr.write("petrel-cni-installer: --daemonset needs --namespace or $POD_NAMESPACE (in a pod: from metadata.namespace through the downward API)\n");
    process.exit(2);
  }
  let rest: KubeRest | undefined;
  try {
    if (flags.daemonset !== undefined && flags.once !== true) rest = new KubeRest(loadKubeRestConfig(flags.kubeconfig));
  } catch (err) {
    process.stderr.write(`petrel-cni-installer: ${errorMessage(err)} (--daemonset needs the API)\n`);
    process.exit(2);
  }
  const recordPath = join(flags.stateDir, "cni-installed.json");
  const items = (): InstallItem[] => {
    const plugins = readdirSync(flags.pluginsDir).filter((name) => !flags.skip.includes(name)).sort().map((name): InstallItem => {
      const source = join(flags.pluginsDir, name);
      return { source, dest: join(flags.binDir, name), sha256: sha256File(source) ?? "", policy: flags.replace.includes(name) ? "replace" : "if-absent" };
    });
    return [...plugins, { source: flags.conflist, dest: join(flags.confDir, basename(flags.conflist)), sha256: sha256File(flags.conflist) ?? "", policy: "replace" }];
  };
  const install = () => {
    const wanted = items();
    const missing = wanted.find((i) => i.sha256 === "");
    if (missing !== undefined) throw new Error(`${missing.source} is missing from the image or the ConfigMap mount`);
    const decision = planInstall(wanted, new Map(wanted.map((i) => [i.dest, sha256File(i.dest)])), readRecord(recordPath));
    for (const item of decision.write) {
      installFile(item.source, item.dest, item.dest.startsWith(flags.confDir) ? 0o644 : 0o755);
      log.info("installed", { file: item.dest, sha256: item.sha256.slice(0, 12) });
    }
    for (const { item, reason } of decision.keep) log.debug("kept", { file: item.dest, reason });
    writeRecord(recordPath, decision.record);
    if (flags.exclusive === true) {
      for (const name of planTakeover(readdirSync(flags.confDir), basename(flags.conflist))) {
        renameSync(join(flags.confDir, name), join(flags.confDir, name + ASIDE_SUFFIX));
        log.warn("moved another CNI's config aside (--exclusive)", { file: join(flags.confDir, name), now: name + ASIDE_SUFFIX });
      }
    }
    return decision.write.length;
  };
  try {
    install();
  } catch (err) {
    log.error("cannot install the CNI files; the node stays NotReady until they are in place", { error: errorMessage(err), binDir: flags.binDir, confDir: flags.confDir });
    process.exit(1);
  }
  log.info("CNI plugin and conflist in place", { binDir: flags.binDir, confDir: flags.confDir, conflist: basename(flags.conflist) });
  if (flags.once === true) return;

  const timer = setInterval(() => {
    try {
      if (install() > 0) log.warn("repaired CNI files that were changed or removed on the host");
    } catch (err) {
      log.error("re-check of the CNI files failed", { error: errorMessage(err) });
    }
  }, recheckMs);
  // Watched from the start: at SIGTERM after helm uninstall the RBAC may already be gone.
  const owner = rest === undefined || flags.daemonset === undefined || namespace === undefined ? undefined : new OwnerDaemonSet(rest, namespace, flags.daemonset, log);
  owner?.start();

  const shutdown = async (signal: string) => {
    clearInterval(timer);
    const decision = owner === undefined ? undefined : owner.decide(await owner.read());
    owner?.stop();
    if (decision?.gone !== true) {
      log.info("stopping; CNI files stay (update, drain or restart)", { signal, why: decision?.reason ?? "no --daemonset: never uninstalls" });
      process.exit(0);
    }
    const record = readRecord(recordPath);
    const remove = planUninstall(record, new Map(record.files.map((f) => [f.path, sha256File(f.path)])));
    for (const path of remove) removeFile(path);
    removeFile(recordPath);
    // Whatever --exclusive moved aside goes back, now that Petrel's config is gone.
    const restored = planRestore(readdirSync(flags.confDir));
    for (const { from, to } of restored) renameSync(join(flags.confDir, from), join(flags.confDir, to));
    log.info("uninstalled: removed the CNI files this installer wrote", { signal, why: decision.reason, files: remove, restored: restored.map((r) => r.to) });
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`petrel-cni-installer: ${errorMessage(err)}\n`);
  process.exit(1);
});
