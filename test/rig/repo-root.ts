// The repository root, found from the working directory (npm scripts and jest both run there),
// so that test helpers work under jest (CommonJS, where import.meta is unavailable) and under
// plain Node scripts such as the demo and the benchmarks (ESM, where __dirname is unavailable).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "petrel") return dir;
    if (dirname(dir) === dir) throw new Error(`run from inside the Petrel repository (no petrel package.json above ${start})`);
  }
}

export const repoRoot = findRoot(process.cwd());
