// The admin kubeconfig that the rig's kubectl (and any program under test) uses.
import { writeFile } from "node:fs/promises";

/** The kubeconfig text: one cluster verified with the rig's CA, one user with a bearer token. */
export function kubeconfigYaml(server: string, caPath: string, token: string): string {
  // JSON is valid YAML; JSON.stringify quotes every value correctly.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "petrel-rig", cluster: { server, "certificate-authority": caPath } }],
    users: [{ name: "petrel-rig-admin", user: { token } }],
    contexts: [{ name: "petrel-rig", context: { cluster: "petrel-rig", user: "petrel-rig-admin" } }],
    "current-context": "petrel-rig",
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/** Writes the kubeconfig owner-only: it holds a system:masters token. */
export async function writeKubeconfig(path: string, server: string, caPath: string, token: string): Promise<void> {
  await writeFile(path, kubeconfigYaml(server, caPath, token), { mode: 0o600 });
}
