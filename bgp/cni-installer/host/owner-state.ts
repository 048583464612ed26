/** Asks the API whether the DaemonSet that runs the installer still exists (see shouldUninstall). */
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { statusCodeOf } from "../../../common/host/kube-errors.ts";
import type { OwnerState } from "../install-plan.ts";

export async function daemonSetState(kc: KubeConfig, namespace: string, name: string): Promise<OwnerState> {
  try {
    const ds = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name, namespace });
    return ds.metadata?.deletionTimestamp === undefined ? "present" : "deleting";
  } catch (err) {
    if (statusCodeOf(err) === 404) return "gone";
    throw err;
  }
}
