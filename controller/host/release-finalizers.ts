/**
 * `petrel-controller --release-finalizers`, run by the chart's pre-delete hook. `helm uninstall`
 * deletes the controller and the CRDs together; deleting a CRD deletes its objects, and an IPPool
 * holding Petrel's finalizer would then wait for a controller that is gone, so the CRD would hang
 * in Terminating for ever (and `helm uninstall --wait` with it). So before anything is deleted,
 * this deletes every pool and takes Petrel's finalizer off it: nothing can add a finalizer to an
 * object that is being deleted, so the running controller cannot put it back. It returns when no
 * pool is left (or the IPPool CRD is gone).
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, PLURALS, VERSION, type IPPool } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import { statusCodeOf } from "../../common/host/kube-errors.ts";
import type { Logger } from "../../common/logger.ts";
import { poolFinalizer } from "../core/cluster-state.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when no IPPool is left; rejects at the deadline. */
export async function releaseFinalizers(kc: KubeConfig, log: Logger, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  const pool = (p: IPPool) => ({ group: GROUP, version: VERSION, plural: PLURALS.IPPool, name: p.metadata.name });
  for (;;) {
    let pools: IPPool[];
    try {
      pools = ((await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.IPPool })) as { items: IPPool[] }).items;
    } catch (err) {
      if (statusCodeOf(err) === 404) return; // the CRD is gone already
      throw err;
    }
    if (pools.length === 0) {
      log.info("no IPPool left; the CRDs can be deleted");
      return;
    }
    for (const p of pools) {
      try {
        if (p.metadata.deletionTimestamp === undefined) {
          await api.deleteClusterCustomObject(pool(p));
          log.info("deleting pool", { pool: p.metadata.name, prefix: p.spec.cidr });
          continue; // its finalizer is taken off in the next round, once it is being deleted
        }
        const finalizers = p.metadata.finalizers ?? [];
        if (!finalizers.includes(poolFinalizer)) continue;
        // The resourceVersion makes the patch fail, not drop someone else's finalizer, on a race.
        await api.patchClusterCustomObject({
          ...pool(p),
          body: { metadata: { resourceVersion: p.metadata.resourceVersion, finalizers: finalizers.filter((f) => f !== poolFinalizer) } },
        }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
        log.info("released pool", { pool: p.metadata.name, prefix: p.spec.cidr });
      } catch (err) {
        if (statusCodeOf(err) === 404) continue;
        log.debug("pool changed under us; trying again", { pool: p.metadata.name, error: errorMessage(err) });
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`${pools.length} IPPools still there after ${Math.round(timeoutMs / 1000)} s (${pools.map((p) => p.metadata.name).join(", ")}): another finalizer holds them; see kubectl get ippools -o yaml`);
    }
    await sleep(1000);
  }
}
