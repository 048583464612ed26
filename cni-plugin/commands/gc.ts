import { formatAddress } from "../../common/cidr.ts";
import type { NetConf } from "../netconf.ts";
import type { PluginDeps } from "../ports.ts";
import { hostVethName } from "../veth-name.ts";
import { exclusively } from "./node-locks.ts";

/**
 * A record reserved less than this long before GC is kept whatever the runtime's list says: the
 * runtime may have taken its list before that ADD started (containerd adds a sandbox to its store
 * only after its network is set up). The next GC frees it if it is garbage.
 */
export const gcMinRecordAgeMs = 60_000;
/** A record this far in the future (the clock stepped back since it was made) counts as old. */
const futureToleranceMs = 5_000;

/**
 * GC (spec 1.1.0): every allocation of this network whose attachment is not in the valid list is
 * garbage: remove its veth, then free its address. A missing or null list is an empty one, as
 * libcni (which omits it when its caller passes none, after DELeting the cached attachments
 * itself) and the reference plugins read it; the misspelt twin `cni.dev/attachments`
 * (containernetworking/cni#1101) counts too.
 *
 * Runs with both node locks held exclusively: no ADD is between its reservation and its report,
 * so none is collected half done.
 */
export function cmdGc(conf: NetConf, deps: PluginDeps, now: () => number = Date.now): number {
  const keep = new Set((conf.validAttachments ?? []).map((a) => `${a.containerId}/${a.ifname}`));
  return exclusively(deps, () => {
    let freed = 0;
    deps.store.removeTemporaries();
    const t = now();
    for (const r of deps.store.list()) {
      if (r.network !== conf.name || keep.has(`${r.containerId}/${r.ifname}`)) continue;
      const at = deps.store.reservedAt(r.address);
      const age = at === undefined ? Infinity : t - at;
      if (age >= -futureToleranceMs && age < gcMinRecordAgeMs) {
        deps.log.info("GC keeps a record reserved moments ago", { container: r.containerId, ifname: r.ifname, address: formatAddress(r.address), ageMs: Math.round(age) });
        continue;
      }
      const veth = hostVethName(r.network, r.containerId, r.ifname);
      deps.dataplane.unwire(veth);
      deps.store.release(r.address);
      freed++;
      deps.log.info("garbage collected", { container: r.containerId, ifname: r.ifname, veth, address: formatAddress(r.address) });
    }
    if (freed > 0) deps.store.sync();
    return freed;
  });
}
