import { formatAddress } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { NetConf } from "../netconf.ts";
import type { PluginDeps } from "../ports.ts";
import { hostVethName } from "../veth-name.ts";

/**
 * GC (spec 1.1.0): every allocation of this network whose attachment is not in
 * `cni.dev/valid-attachments` is garbage: remove its veth, then free its address.
 * Runs under the node lock so an ADD in progress (already reserved, not yet reported to the
 * runtime) cannot be collected halfway; the runtime lists in-flight attachments as valid.
 */
export function cmdGc(conf: NetConf, deps: PluginDeps): number {
  if (conf.validAttachments === undefined) {
    throw new CniError(CniCode.invalidConfig, "invalid network config: cni.dev/valid-attachments: GC needs the list of attachments to keep", {
      details: "pass an empty list to free every allocation of this network",
    });
  }
  const keep = new Set(conf.validAttachments.map((a) => `${a.containerId}/${a.ifname}`));
  const release = deps.lock.acquire();
  let freed = 0;
  try {
    deps.store.removeTemporaries();
    for (const r of deps.store.list()) {
      if (r.network !== conf.name || keep.has(`${r.containerId}/${r.ifname}`)) continue;
      const veth = hostVethName(r.network, r.containerId, r.ifname);
      deps.dataplane.unwire(veth);
      deps.store.release(r.address);
      freed++;
      deps.log.info("garbage collected", { container: r.containerId, ifname: r.ifname, veth, address: formatAddress(r.address) });
    }
    if (freed > 0) deps.store.sync();
  } finally {
    release();
  }
  return freed;
}
