// The demo (README: `npm run demo`; test/scripts/demo.sh builds what it needs first). By default a
// real Kubernetes cluster on this machine: N kubelet nodes with containerd and kube-proxy, Petrel
// installed by `helm install`, a Deployment spread over the nodes, and what an operator would look
// at, ending with a ping matrix between the pods and `petrelctl ipam check` (test/demo/kubelet-demo.ts).
// `--netns-nodes` runs the first, netns-only demo instead (test/demo/netns-demo.ts).
//   node test/scripts/demo.ts [up]   bring it up and keep it running (foreground) until `down` or Ctrl-C
//   node test/scripts/demo.ts once   bring it up, show everything, tear it down; exit 0 only when
//                                    every ping was answered and ipam check passed
//   node test/scripts/demo.ts down   stop a running demo (by the pid it recorded) and wait for it
// Options: --nodes N (default 3), --tor (a BIRD top-of-rack router), --netns-nodes.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseDemoArgs, type DemoOptions } from "../demo/demo-options.ts";
import { outcomeSummary, type DemoRun } from "../demo/demo-run.ts";
import { KubeletDemo } from "../demo/kubelet-demo.ts";
import { NetnsDemo } from "../demo/netns-demo.ts";
import { NetnsSet } from "../rig/netns.ts";
import { run } from "../rig/run-process.ts";

const pidFile = "/run/petrel-demo.pid";

/** The pid of a running demo, from the pid file, only if that process is still a demo. */
function runningDemo(): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8"));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    // A stale pid file may name a pid that now belongs to another program: never signal that one.
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("demo.ts") ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** What a demo killed with SIGKILL leaves (its children die with it by pdeathsig): its namespaces and host link. */
function removeLeftovers(pid: number): void {
  const left = NetnsSet.removeLeftoversOf("demo", pid);
  run(["ip", "link", "del", `pu${pid}`.slice(0, 15)]);
  if (left.length > 0) console.log(`removed ${left.length} network namespaces of demo ${pid}`);
}

async function down(): Promise<void> {
  const recorded = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined;
  const pid = runningDemo();
  if (pid === undefined) {
    if (recorded === undefined) console.log("no running demo");
    else {
      console.log(`the demo (pid ${recorded}) is not running; removing what it left`);
      removeLeftovers(recorded);
      rmSync(pidFile, { force: true });
    }
    return;
  }
  process.kill(pid, "SIGTERM");
  console.log(`asked the demo (pid ${pid}) to tear down; waiting for it`);
  const t0 = Date.now();
  while (existsSync(`/proc/${pid}`) && Date.now() - t0 < 180_000) await sleep(500);
  if (existsSync(`/proc/${pid}`)) console.log(`the demo (pid ${pid}) is still tearing down after 180 s; see its terminal`);
  else console.log(`the demo is gone (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

function section(title: string, body: string): void {
  console.log(`\n== ${title}\n${body.trimEnd()}`);
}

async function up(o: DemoOptions): Promise<number> {
  if (runningDemo() !== undefined) {
    console.log("a demo is running already; stopping it first");
    await down();
  }
  writeFileSync(pidFile, String(process.pid));
  const say = (l: string) => console.log(`  ${l}`);
  const demo: DemoRun = o.netnsNodes ? new NetnsDemo(o, say) : new KubeletDemo(o, say);
  console.log(demo.banner);
  const t0 = Date.now();
  let starting = true;
  let stopping = false;
  const teardown = async (code: number): Promise<never> => {
    stopping = true;
    console.log("\ntearing the demo down");
    try {
      await demo.stop();
      console.log("petrel demo removed");
    } catch (err) {
      console.error(`tearing down: ${err instanceof Error ? err.message : String(err)}`);
      code = code === 0 ? 1 : code;
    }
    rmSync(pidFile, { force: true });
    process.exit(code);
  };
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    interrupted = signal;
    // During start the cluster is not ours to stop yet: its start() cleans up after itself on an
    // error, and we tear down as soon as it returns.
    if (starting) console.log(`\n${signal}: tearing down as soon as the current step returns`);
    else void teardown(signal === "SIGTERM" ? 0 : 130);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await demo.start();
    starting = false;
    if (interrupted !== undefined) return await teardown(130);
    const outcome = await demo.show(section);
    const verdict = outcomeSummary(outcome);
    console.log(`\n${verdict.lines.join("\n")}`);
    console.log(`demo ${verdict.ok ? "OK" : "FAILED"} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (o.mode === "once") return await teardown(verdict.ok ? 0 : 1);
    console.log(`\nthe demo keeps running (pid ${process.pid})`);
    for (const l of demo.usage()) console.log(l);
    console.log("stop it with `npm run demo -- down` (or Ctrl-C)");
    await new Promise(() => {});
    return 0;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return await teardown(1);
  }
}

let options: DemoOptions;
try {
  options = parseDemoArgs(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
if (process.env.PETREL_DEMO_PARSE_ONLY === "1") process.exit(0); // demo.sh checks the flags before it builds
if (options.mode === "down") await down();
else process.exitCode = await up(options);
