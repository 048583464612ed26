import { formatAddress } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import { CniCode, CniError } from "../cni-error.ts";
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
 * or ADD may never have run. Holds the gate shared (DELs run in parallel with ADDs and each other)
 * so that the record format migration, which rewrites records in place, never resurrects one.
 */
export function cmdDel(env: CniEnv, conf: NetConf, deps: PluginDeps): void {
  const owner = attachmentOwner(env, conf);
  const hostVeth = hostVethName(conf.name, env.containerId, env.ifname);
  let release = () => {};
  try {
    release = deps.lock.acquire("gate", "shared");
  } catch (err) {
    // The lock file cannot even be created (a full or read-only state directory): then no
    // migration can run either, and DEL must still free what it can.
    if (!(err instanceof CniError && err.code === CniCode.stateFailure)) throw err;
    deps.log.warn("DEL without the node lock", { error: errorMessage(err) });
  }
  let mine;
  try {
    deps.dataplane.unwire(hostVeth, env.netns === "" ? undefined : { netns: env.netns, ifname: env.ifname });
    mine = deps.store.list().filter((r) => sameOwner(r, owner));
    for (const r of mine) deps.store.release(r.address);
    if (mine.length > 0) deps.store.sync();
  } finally {
    release();
  }
  deps.log.info("pod unwired", {
    container: env.containerId,
    pod: podName(env),
    veth: hostVeth,
    address: mine.map((r) => formatAddress(r.address)).join(","),
  });
}
