/**
 * Prometheus' own checker, promtool, for the chart's alert rules and dashboard queries (PromQL
 * syntax, rule-file structure, annotation templates). Taken from Debian's `prometheus` package
 * without installing it (installing would start a Prometheus server on this shared machine):
 * `apt-get download` into a temporary directory, `dpkg-deb -x`, and only usr/bin/promtool kept,
 * under /var/cache/petrel/promtool/<version>/. A 19 MB download once per machine and package version.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../rig/run-process.ts";

const cacheRoot = "/var/cache/petrel/promtool";

async function candidateVersion(): Promise<string> {
  const r = await runProcess("apt-cache", ["policy", "prometheus"]);
  const v = /Candidate:\s*(\S+)/.exec(r.stdout)?.[1];
  if (r.status !== 0 || v === undefined || v === "(none)") {
    throw new Error(`promtool: Debian's prometheus package is not available (apt-cache policy prometheus: ${r.stdout.trim() || r.stderr.trim()}); run apt-get update`);
  }
  return v;
}

/** The path of a working promtool, downloading Debian's package's once; throws saying why not. */
export async function promtoolPath(): Promise<string> {
  const version = await candidateVersion();
  const dir = join(cacheRoot, version.replace(/[^\w.+-]/g, "_"));
  const bin = join(dir, "promtool");
  if (!existsSync(bin)) {
    const work = mkdtempSync(join(tmpdir(), "petrel-promtool-"));
    try {
      const dl = await runProcess("sh", ["-c", `cd '${work}' && apt-get download -qq 'prometheus=${version}'`]);
      if (dl.status !== 0) throw new Error(`promtool: apt-get download prometheus=${version} failed (${dl.status}): ${dl.stderr.trim()}`);
      const x = await runProcess("sh", ["-c", `cd '${work}' && dpkg-deb -x prometheus_*.deb root && test -x root/usr/bin/promtool`]);
      if (x.status !== 0) throw new Error(`promtool: could not unpack the package (${x.status}): ${x.stderr.trim()}`);
      mkdirSync(dir, { recursive: true });
      // rename(2) is atomic: a concurrent run sees the whole binary or none.
      renameSync(join(work, "root", "usr", "bin", "promtool"), bin);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const r = await runProcess(bin, ["--version"]);
  if (r.status !== 0) throw new Error(`promtool: ${bin} --version failed (${r.status}): ${r.stderr.trim()}`);
  return bin;
}
