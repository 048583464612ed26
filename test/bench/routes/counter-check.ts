// Self-check of the bench's route counter (route-counter.ts), run as root under the lock:
//   /work/bin/privileged node test/bench/routes/counter-check.ts [--routes 10000] [--stall-ms 300]
// In a namespace of its own, `ip -force -batch` adds N routes and then deletes them (as the
// agent does), while the counter watches with `ip -ts monitor route`; `--stall-ms` blocks this
// process's event loop that long right after each batch starts, as a busy bench does. Then the
// counter's count is compared with a kernel listing. A monitor whose netlink socket overflowed
// (ENOBUFS) misses changes, and a counter that trusts it waits for a count that never comes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsSet } from "../../rig/netns.ts";
import { RouteCounter } from "./route-counter.ts";
import { exec, execOk, sleep } from "./util.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const routes = arg("--routes", 10000);
const stallMs = arg("--stall-ms", 300);
const netns = new NetnsSet("i11cc");
const range = "198.19.0.0/16";

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* a blocked event loop, as in a busy bench */ }
}

async function listed(ns: string): Promise<number> {
  return (await execOk(["ip", "-n", ns, "-4", "route", "show", "root", range])).split("\n").filter((l) => l !== "").length;
}

async function phase(ns: string, counter: RouteCounter, verb: "add" | "del", target: number): Promise<boolean> {
  const lines = Array.from({ length: routes }, (_, i) => {
    const base = i * 4;
    return verb === "add" ? `route add 198.19.${base >> 8}.${base & 255}/30 via 203.0.113.2 proto 89` : `route del 198.19.${base >> 8}.${base & 255}/30`;
  });
  // A file, not an argument: 10,000 lines are more than one argv string may hold (E2BIG).
  const dir = mkdtempSync(join(tmpdir(), "petrel-counter-check-"));
  const file = join(dir, `${verb}.batch`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const t = Date.now();
  const batch = exec(["ip", "-n", ns, "-force", "-batch", file]);
  busy(stallMs);
  const r = await batch;
  rmSync(dir, { recursive: true, force: true });
  let reached = true;
  try {
    await counter.waitCount(target, 5000);
  } catch (err) {
    reached = false;
    console.log(`  ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`${verb} ${routes} (batch exit ${r.status}, ${Date.now() - t} ms): counter ${counter.count}, kernel listing ${await listed(ns)}, target ${target}: ${reached ? "ok" : "COUNTER WRONG"}${counter.overflows > 0 ? `; monitor overflowed ${counter.overflows} time(s)` : ""}`);
  return reached;
}

async function main(): Promise<void> {
  const ns = netns.create(); // ptl-i11cc-<pid>-0, loopback up
  let ok = true;
  try {
    await execOk(["ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]); // no dummy module here
    await execOk(["ip", "-n", ns, "link", "set", "d1", "up"]);
    await execOk(["ip", "-n", ns, "addr", "add", "203.0.113.1/24", "dev", "d0"]);
    await execOk(["ip", "-n", ns, "link", "set", "d0", "up"]);
    const counter = await RouteCounter.start(ns, range);
    try {
      ok = (await phase(ns, counter, "add", routes)) && ok;
      await sleep(500);
      ok = (await phase(ns, counter, "del", 0)) && ok;
    } finally {
      await counter.stop();
    }
  } finally {
    netns.removeAll();
  }
  console.log(ok ? "counter-check: ok" : "counter-check: FAILED");
  process.exitCode = ok ? 0 : 1;
}

await main();
