/**
 * `petrel-controller --release-finalizers`, run by the chart's post-delete hook. `helm uninstall`
 * deletes the controller and the CRDs together; deleting a CRD deletes its objects, and an IPPool
 * holding Petrel's finalizer would then wait for a controller that is gone, so the CRD would hang
 * in Terminating for ever. This removes the finalizer from every pool until the IPPool CRD is
 * gone (a controller still shutting down may add it back to a pool not yet being deleted).
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, PLURALS, VERSION, type IPPool } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import { statusCodeOf } from "../../common/host/kube-errors.ts";
import type { Logger } from "../../common/logger.ts";
import { poolFinalizer } from "../core/cluster-state.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the IPPool CRD is gone; rejects at the deadline. */
export async function releaseFinalizers(kc: KubeConfig, log: Logger, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  let released = 0;
  for (;;) {
    let pools: IPPool[];
    try {
      pools = ((await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.IPPool })) as { items: IPPool[] }).items;
    } catch (err) {
      if (statusCodeOf(err) === 404) {
        log.info("the IPPool CRD is gone; nothing holds the uninstall any more", { released });
        return;
      }
      throw err;
    }
    for (const pool of pools) {
      const finalizers = pool.metadata.finalizers ?? [];
      if (!finalizers.includes(poolFinalizer)) continue;
      try {
        // The resourceVersion makes the patch fail, not drop someone else's finalizer, on a race.
        await api.patchClusterCustomObject({
          group: GROUP, version: VERSION, plural: PLURALS.IPPool, name: pool.metadata.name,
          body: { metadata: { resourceVersion: pool.metadata.resourceVersion, finalizers: finalizers.filter((f) => f !== poolFinalizer) } },
        }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
        released++;
        log.info("released pool", { pool: pool.metadata.name, prefix: pool.spec.cidr });
      } catch (err) {
        log.debug("pool changed under us; trying again", { pool: pool.metadata.name, error: errorMessage(err) });
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`the IPPool CRD is still there after ${Math.round(timeoutMs / 1000)} s (${pools.length} pools left); with crds.keep=true the CRDs stay by design — delete the pools or the CRDs with kubectl`);
    }
    await sleep(1000);
  }
}
