import { formatAddress } from "../../common/cidr.ts";
import type { CniEnv } from "../env.ts";
import { sameOwner } from "../ipam/allocation.ts";
import type { NetConf } from "../netconf.ts";
import type { PluginDeps } from "../ports.ts";
import { hostVethName } from "../veth-name.ts";
import { podName } from "./add.ts";
import { attachmentOwner } from "./attachment.ts";

/**
 * DEL: remove the veth, then free the addresses (in that order, so an address is never handed
 * out while still wired). Nothing to remove is success: the netns may be gone, the veth with it,
 * or ADD may never have run.
 */
export function cmdDel(env: CniEnv, conf: NetConf, deps: PluginDeps): void {
  const owner = attachmentOwner(env, conf);
  const hostVeth = hostVethName(conf.name, env.containerId, env.ifname);
  deps.dataplane.unwire(hostVeth, env.netns === "" ? undefined : { netns: env.netns, ifname: env.ifname });
  const mine = deps.store.list().filter((r) => sameOwner(r, owner));
  for (const r of mine) deps.store.release(r.address);
  if (mine.length > 0) deps.store.sync();
  deps.log.info("pod unwired", {
    container: env.containerId,
    pod: podName(env),
    veth: hostVeth,
    address: mine.map((r) => formatAddress(r.address)).join(","),
  });
}
