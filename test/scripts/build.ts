// Builds the executables into dist/bin.
// - The CNI plugin and petrelctl are compiled with Bun into one self-contained executable each:
//   the plugin must run on hosts without Node.js, and start-up is most of its cost per pod
//   (`petrel VERSION`: about 10 ms, against 21 ms for an empty Node 24); petrelctl runs on the
//   operator's machine (and as `kubectl petrel`), where no Node.js may be installed either.
//   --bytecode saves about 8 ms of the plugin's start-up; the plugin also gets
//   --compile-jit-policy=1000, which keeps its run-once code in the interpreter instead of
//   JIT-compiling it (about 2 ms less per run, measured: docs/cni-plugin.md); no dotenv/bunfig
//   autoload, so a stray /.env in the runtime's working directory cannot change either.
// - The long-running programs (controller, agent, installer) are bundled into one JavaScript
//   file each for Node.js 24 (their images ship Node): @kubernetes/client-node and @grpc/grpc-js
//   rely on Node's HTTP/2, TLS and undici dispatchers, which Bun does not fully implement.
//   petrelctl is also bundled for Node (dist/bin/petrelctl.mjs) for the images, which ship Node.
// - Every program gets its version, git commit and build date baked in (common/build-info.ts);
//   dist/build-info.json repeats them for helm/images/build.sh's OCI labels.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_INFO_FILE, bunDefineArgs } from "../../common/build-info.ts";
import { gitBuildInfo } from "./build-info.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bun = join(root, "node_modules", ".bin", "bun");
mkdirSync(join(root, "dist", "bin"), { recursive: true });
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
const info = gitBuildInfo(root, version, process.env);
const defines = bunDefineArgs(info);
writeFileSync(join(root, "dist", BUILD_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
console.log(`version ${info.version}, commit ${info.commit}, built ${info.date}`);

const compiled = [
  { entry: "cni-plugin/main.ts", out: "dist/bin/petrel", flags: ["--compile-jit-policy=1000"] },
  { entry: "bgp/petrelctl/main.ts", out: "dist/bin/petrelctl", flags: [] },
];
for (const { entry, out, flags } of compiled) {
  execFileSync(bun, ["build", "--compile", "--minify", "--bytecode", ...flags, "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--target=bun-linux-x64", ...defines, join(root, entry), "--outfile", join(root, out)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  console.log(`built ${out}`);
}

// kubectl finds plugins by name on PATH: `kubectl petrel ...` runs kubectl-petrel, and kubectl's
// completion of plugin arguments runs kubectl_complete-petrel (kubectl 1.26+).
rmSync(join(root, "dist", "bin", "kubectl-petrel"), { force: true });
symlinkSync("petrelctl", join(root, "dist", "bin", "kubectl-petrel"));
writeFileSync(join(root, "dist", "bin", "kubectl_complete-petrel"), '#!/bin/sh\n# kubectl runs this to complete `kubectl petrel ...`\nexec petrelctl __complete --cobra -- "$@"\n', { mode: 0o755 });

// The agent runs on every node and must stay under 100 MiB: V8's default young generation grows
// to 16 MiB per semi-space, which is a sixth of that for no gain at the agent's allocation rate
// (measured: 100 -> 94 MiB idle RSS with --max-semi-space-size=2). `env -S` (GNU coreutils 8.30+,
// Debian 10+) passes the flag from the shebang.
const agentNodeFlags = "--max-semi-space-size=2";
const nodePrograms = [
  { entry: "controller/main.ts", out: "dist/bin/petrel-controller" },
  { entry: "bgp/agent/main.ts", out: "dist/bin/petrel-agent", banner: `#!/usr/bin/env -S node ${agentNodeFlags}` },
  { entry: "bgp/petrelctl/main.ts", out: "dist/bin/petrelctl.mjs" },
  { entry: "cni-plugin/cni-installer/main.ts", out: "dist/bin/petrel-cni-installer" },
];
for (const { entry, out, banner } of nodePrograms) {
  if (!existsSync(join(root, entry))) continue;
  // ESM output: Node 24 detects module syntax in an extensionless file, so it runs as `petrel-controller`.
  execFileSync(bun, ["build", "--target=node", "--format=esm", "--minify-syntax", "--minify-whitespace", "--sourcemap=none", `--banner=${banner ?? "#!/usr/bin/env node"}`, ...defines, join(root, entry), "--outfile", join(root, out)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  chmodSync(join(root, out), 0o755);
  console.log(`built ${out}`);
}
