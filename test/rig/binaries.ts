// Locating and checking the Kubernetes binaries that build-k8s.sh produces. Kept apart from the
// rig so that the check (and its message pointing at the build script) can run before anything
// is started or any temp dir is made.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COREDNS_VERSION, ETCD_VERSION, HELM_VERSION, K8S_VERSION } from "./versions.ts";

/** The build script, as named in error messages (relative to the repository root). */
export const BUILD_SCRIPT = "test/rig/build-k8s.sh";

/** $PETREL_CACHE, else /var/cache/petrel: the root of every cache the tests keep outside the repository. */
export function petrelCache(): string {
  const env = process.env.PETREL_CACHE;
  return env !== undefined && env !== "" ? env : "/var/cache/petrel";
}

/** The reference CNI plugins from Debian's containernetworking-plugins (bridge, portmap, loopback, host-local, …). */
export const referencePluginDir = "/usr/lib/cni";

/** Where build-k8s.sh puts the binaries for the pinned version (mirrors the script's default). */
export function defaultBinDir(): string {
  const fromEnv = process.env.PETREL_K8S_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const cache = petrelCache();
  return join(cache, `k8s-${K8S_VERSION}`, "bin");
}

/**
 * Every binary build-k8s.sh makes, with the version stamp it writes. All are required, even by a
 * rig that runs no kubelet: one build makes them all, and a half-built cache is a broken one.
 */
export const rigBinaries: readonly (readonly [name: string, stamp: string])[] = [
  ["kube-apiserver", `kubernetes ${K8S_VERSION}`],
  ["kubectl", `kubernetes ${K8S_VERSION}`],
  ["kube-controller-manager", `kubernetes ${K8S_VERSION}`],
  ["kube-scheduler", `kubernetes ${K8S_VERSION}`],
  ["kubelet", `kubernetes ${K8S_VERSION}`],
  ["etcd", `etcd ${ETCD_VERSION}`],
  ["helm", `helm ${HELM_VERSION}`],
];

/** What the multi-node cluster (test/support/kubelet-cluster.ts) and the conformance run need besides. */
export const clusterBinaries: readonly (readonly [name: string, stamp: string])[] = [
  ["kube-proxy", `kubernetes ${K8S_VERSION}`],
  ["agnhost", `kubernetes ${K8S_VERSION}`],
  ["e2e.test", `kubernetes ${K8S_VERSION}`],
  ["coredns", `coredns ${COREDNS_VERSION}`],
];

/** What every multi-node cluster runs besides the rig's seven (the demo: `build-k8s.sh --only demo`). */
export const nodeBinaries: readonly (readonly [name: string, stamp: string])[] = [
  ["kube-proxy", `kubernetes ${K8S_VERSION}`],
];

/**
 * Throws (never returns false) when a binary is missing or was built from another version, with a
 * message naming the build script: tests that need the rig must fail, not skip.
 */
export function checkBinaries(binDir: string, wanted: readonly (readonly [name: string, stamp: string])[] = rigBinaries): void {
  const problems: string[] = [];
  for (const [name, version] of wanted) {
    const path = join(binDir, name);
    // build-k8s.sh writes this stamp after a successful build; a binary without the right stamp
    // is stale (the pinned version changed) and would test against the wrong API.
    const stamp = join(binDir, `.${name}.version`);
    if (!existsSync(path)) {
      problems.push(`${path} is missing`);
    } else if (!existsSync(stamp) || readFileSync(stamp, "utf8").trim() !== version) {
      problems.push(`${path} was not built from ${version}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Kubernetes test binaries are not built: ${problems.join("; ")}. ` +
        `Run ${BUILD_SCRIPT} first (a cold build of everything takes about 30 minutes on 2 cores, ` +
        `\`--only demo\` about 11; see docs/k8s-rig.md).`,
    );
  }
}
