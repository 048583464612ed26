// Source files from the Go module cache that test/rig/build-k8s.sh fills (Kubernetes' pause
// container source, the CRI API's .proto). Found there when the build left them, otherwise
// downloaded with `go mod download` from the module proxy into the same cache: never copied into
// the repository.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { petrelCache } from "./binaries.ts";
import { K8S_VERSION } from "./versions.ts";
import { run } from "./run-process.ts";

/** The staging modules' version of the pinned Kubernetes release: v1.36.3 -> v0.36.3. */
export function stagingVersion(): string {
  return K8S_VERSION.replace(/^v1\./, "v0.");
}

/**
 * The directory of `module@version` in the build's Go module cache, downloaded if missing.
 * Module paths here are lower case, so the cache's case-encoding (`!x` for `X`) does not apply.
 */
export function goModuleDir(module: string, version: string): string {
  const cache = join(petrelCache(), "go", "mod");
  const dir = join(cache, `${module}@${version}`);
  if (existsSync(dir)) return dir;
  const go = existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
  const r = run([go, "mod", "download", "-json", `${module}@${version}`], {
    env: {
      ...process.env,
      GOMODCACHE: cache,
      GOTOOLCHAIN: "local",
      GOFLAGS: "-mod=mod",
      GOPROXY: process.env.GOPROXY ?? "https://proxy.golang.org",
    },
  });
  if (r.status !== 0 || !existsSync(dir)) {
    throw new Error(`${module}@${version} is not in ${cache} and \`go mod download\` failed (${r.status}): ${r.stderr.trim()} ${r.stdout.trim()}`);
  }
  return dir;
}
