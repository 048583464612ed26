// The build's version facts from git (read-only queries), for test/scripts/build.ts.
// The date follows the reproducible-builds convention: SOURCE_DATE_EPOCH when set, else the
// commit's own time when the tree is clean (the same commit builds the same bytes, so
// helm/images/build.sh's input hash stays and an unchanged image is not rebuilt), else now.
import { spawnSync } from "node:child_process";
import type { BuildInfo } from "../../common/build-info.ts";

function git(root: string, args: readonly string[]): string | undefined {
  // GIT_OPTIONAL_LOCKS=0: `git status` must not rewrite the index of a worktree it only reads.
  const r = spawnSync("git", ["-C", root, ...args], { encoding: "utf8", env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function gitBuildInfo(root: string, version: string, env: NodeJS.ProcessEnv, now: Date = new Date()): BuildInfo {
  const head = git(root, ["rev-parse", "HEAD"]);
  const dirty = head !== undefined && (git(root, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  const epoch = env.SOURCE_DATE_EPOCH;
  let date: Date;
  if (epoch !== undefined && /^\d+$/.test(epoch)) date = new Date(Number(epoch) * 1000);
  else if (head !== undefined && !dirty) date = new Date(Number(git(root, ["show", "-s", "--format=%ct", "HEAD"]) ?? "0") * 1000);
  else date = now;
  return {
    version,
    commit: head === undefined ? "unknown" : dirty ? `${head}-dirty` : head,
    date: date.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}
