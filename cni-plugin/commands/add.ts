import { podFromCniArgs } from "../../common/allocation-record.ts";
import { formatAddress, type IpAddress } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { CniEnv } from "../env.ts";
import { reserveAddresses } from "../ipam/reserve.ts";
import type { NetConf } from "../netconf.ts";
import type { PodWiring } from "../pod-wiring.ts";
import type { PluginDeps } from "../ports.ts";
import { buildAddResult, resultAddresses, type CniResult } from "../result.ts";
import { attachmentOwner, attachmentWiring } from "./attachment.ts";
import { migrateIfNeeded } from "./node-locks.ts";

/**
 * ADD: reserve addresses, wire the veth pair, make the reservation durable, report.
 * Any failure after the reservation undoes everything this call did before the error leaves.
 *
 * Locks (ports.ts): the node's blocks are read and the addresses reserved under the alloc lock,
 * so a drain (the agent rewrites blocks.json, then waits for both locks) can never be overtaken
 * by an ADD that read the old file; the gate is held shared until the record is durable and the
 * pod wired (or rolled back), so a GC, which takes it exclusively, never sees this ADD half done.
 */
export function cmdAdd(env: CniEnv, conf: NetConf, deps: PluginDeps): CniResult {
  if (conf.prevResult !== undefined && resultAddresses(conf.prevResult).length > 0) {
    throw new CniError(CniCode.invalidConfig, "invalid network config: petrel must be the first plugin in the chain, but prevResult already holds addresses", {
      details: "put petrel first in the conflist's plugins list; chained plugins such as portmap, bandwidth and tuning go after it",
    });
  }
  if (!deps.dataplane.isNetns(env.netns)) {
    throw new CniError(CniCode.invalidEnvironment, `CNI_NETNS: "${env.netns}" does not exist or is not a network namespace`, {
      details: "the runtime must create the pod's network namespace before calling ADD",
    });
  }
  const pod = podFromCniArgs(env.args);
  const owner = { ...attachmentOwner(env, conf), ...(pod === undefined ? {} : { pod }) };
  let releaseGate: (() => void) | undefined;
  let addresses;
  const releaseAlloc = deps.lock.acquire("alloc", "exclusive");
  try {
    migrateIfNeeded(deps, false);
    releaseGate = deps.lock.acquire("gate", "shared");
    addresses = reserveAddresses(deps.store, deps.blocks.current(), owner);
  } catch (err) {
    releaseGate?.();
    throw err;
  } finally {
    releaseAlloc();
  }
  try {
    return wireAndReport(env, conf, deps, addresses);
  } finally {
    releaseGate();
  }
}

function wireAndReport(env: CniEnv, conf: NetConf, deps: PluginDeps, addresses: IpAddress[]): CniResult {
  const wiring = attachmentWiring(env, conf, addresses);
  const fields = {
    container: env.containerId,
    pod: podName(env),
    veth: wiring.hostVeth,
    address: addresses.map(formatAddress).join(","),
  };
  try {
    deps.hooks?.beforeWire?.();
    deps.dataplane.wire(wiring);
    deps.store.sync();
  } catch (err) {
    deps.log.warn("ADD failed; rolling back", { ...fields, error: errorMessage(err) });
    rollback(deps, wiring);
    throw err;
  }
  deps.log.info("pod wired", fields);
  return buildAddResult(conf.cniVersion, { ...wiring });
}

function rollback(deps: PluginDeps, wiring: PodWiring): void {
  try {
    deps.dataplane.unwire(wiring.hostVeth);
  } catch (err) {
    deps.log.error("rollback could not remove the host veth", { veth: wiring.hostVeth, error: errorMessage(err) });
  }
  for (const a of wiring.addresses) deps.store.release(a);
  deps.store.sync();
}

export function podName(env: CniEnv): string | undefined {
  const ns = env.args["K8S_POD_NAMESPACE"];
  const name = env.args["K8S_POD_NAME"];
  return ns !== undefined && name !== undefined ? `${ns}/${name}` : undefined;
}
