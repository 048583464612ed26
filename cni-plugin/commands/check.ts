import { formatAddress } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { CniEnv } from "../env.ts";
import { sameOwner } from "../ipam/allocation.ts";
import type { NetConf } from "../netconf.ts";
import { hostPrefix } from "../pod-wiring.ts";
import type { PluginDeps } from "../ports.ts";
import { resultAddresses } from "../result.ts";
import { attachmentOwner, attachmentWiring } from "./attachment.ts";

/** CHECK: the allocation record, the prevResult and the kernel must all agree with ADD's work. */
export function cmdCheck(env: CniEnv, conf: NetConf, deps: PluginDeps): void {
  if (conf.prevResult === undefined) {
    throw new CniError(CniCode.invalidConfig, "invalid network config: prevResult: CHECK needs the result of ADD in prevResult", {
      details: "the runtime passes the cached ADD result; run ADD first",
    });
  }
  if (!deps.dataplane.isNetns(env.netns)) {
    throw new CniError(CniCode.invalidEnvironment, `CNI_NETNS: "${env.netns}" does not exist or is not a network namespace`);
  }
  const owner = attachmentOwner(env, conf);
  const addresses = deps.store.list().filter((r) => sameOwner(r, owner)).map((r) => r.address);
  if (addresses.length === 0) {
    throw new CniError(CniCode.checkFailed, `no address is allocated to container ${env.containerId} interface ${env.ifname} on network ${conf.name}`, {
      details: "the allocation was freed (by DEL or GC) or ADD never completed; recreate the pod",
    });
  }
  const recorded = addresses.map(hostPrefix).sort();
  const reported = resultAddresses(conf.prevResult).sort();
  if (recorded.join(",") !== reported.join(",")) {
    throw new CniError(CniCode.checkFailed, `prevResult lists ${reported.join(", ") || "no address"} but Petrel allocated ${addresses.map(formatAddress).join(", ")}`);
  }
  const problems = deps.dataplane.inspect(attachmentWiring(env, conf, addresses));
  if (problems.length > 0) {
    throw new CniError(CniCode.checkFailed, `pod interface ${env.ifname} is not wired as ADD left it: ${problems.join("; ")}`, {
      details: "delete and recreate the pod, or let the runtime run DEL and ADD again",
    });
  }
}
