// Builds the executables into dist/bin.
// - The CNI plugin is compiled with Bun into one self-contained executable: it must run on hosts
//   without Node.js, and start-up is most of the plugin's cost per pod (`petrel VERSION`: about
//   10 ms, against 21 ms for an empty Node 24). --bytecode saves about 8 ms of start-up;
//   --compile-jit-policy=1000 keeps the run-once code in the interpreter instead of JIT-compiling
//   it (about 2 ms less per run, measured: docs/cni-plugin.md); no dotenv/bunfig autoload, so a
//   stray /.env in the runtime's working directory cannot change it.
// - The long-running programs (controller, agent, petrelctl) are bundled into one JavaScript file
//   each for Node.js 24 (their images ship Node): @kubernetes/client-node and @grpc/grpc-js rely on
//   Node's HTTP/2, TLS and undici dispatchers, which Bun does not fully implement.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bun = join(root, "node_modules", ".bin", "bun");
mkdirSync(join(root, "dist", "bin"), { recursive: true });

const plugin = { entry: "cni-plugin/main.ts", out: "dist/bin/petrel" };
execFileSync(bun, ["build", "--compile", "--minify", "--bytecode", "--compile-jit-policy=1000", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--target=bun-linux-x64", join(root, plugin.entry), "--outfile", join(root, plugin.out)], {
  stdio: ["ignore", "ignore", "inherit"],
});
console.log(`built ${plugin.out}`);

const nodePrograms = [
  { entry: "controller/main.ts", out: "dist/bin/petrel-controller" },
  { entry: "bgp/main.ts", out: "dist/bin/petrel-agent" },
  { entry: "bgp/petrelctl/main.ts", out: "dist/bin/petrelctl" },
  { entry: "bgp/cni-installer/main.ts", out: "dist/bin/petrel-cni-installer" },
];
for (const { entry, out } of nodePrograms) {
  if (!existsSync(join(root, entry))) continue;
  // ESM output: Node 24 detects module syntax in an extensionless file, so it runs as `petrel-controller`.
  execFileSync(bun, ["build", "--target=node", "--format=esm", "--minify-syntax", "--minify-whitespace", "--sourcemap=none", "--banner=#!/usr/bin/env node", join(root, entry), "--outfile", join(root, out)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  chmodSync(join(root, out), 0o755);
  console.log(`built ${out}`);
}
