/** Asks the API whether the DaemonSet that runs the installer still exists (see shouldUninstall). */
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { statusCodeOf } from "../../../common/host/kube-errors.ts";
import type { OwnerState } from "../install-plan.ts";

export async function daemonSetState(kc: KubeConfig, namespace: string, name: string): Promise<OwnerState> {
  try {
    const ds = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name, namespace });
    return ds.metadata?.deletionTimestamp === undefined ? "present" : "deleting";
  } catch (err) {
    const code = statusCodeOf(err);
    if (code === 404) return "gone";
    if (code === 401 || code === 403) return "revoked";
    throw err;
  }
}
