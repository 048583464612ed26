/**
 * How every Petrel program finds the API server, like every Kubernetes controller: the
 * --kubeconfig flag, else $KUBECONFIG, else the in-cluster service account when run in a pod.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { InvalidInputError } from "../errors.ts";

export function loadKubeConfig(kubeconfigFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kubeconfigFlag !== undefined && kubeconfigFlag !== "") {
      kc.loadFromFile(kubeconfigFlag);
    } else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== "") {
      kc.loadFromDefault();
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined) {
      kc.loadFromCluster();
    } else {
      throw new Error("no kubeconfig");
    }
  } catch (err) {
    throw new InvalidInputError(
      "--kubeconfig",
      `cannot load a kubeconfig (${err instanceof Error ? err.message : String(err)}): pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a service account`,
      { cause: err },
    );
  }
  if (kc.getCurrentCluster() === null) {
    throw new InvalidInputError("--kubeconfig", "the kubeconfig has no current cluster: set current-context or pass a complete kubeconfig");
  }
  return kc;
}
