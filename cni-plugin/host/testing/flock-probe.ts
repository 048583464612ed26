// Run with Bun by host/libc.test.ts (bun:ffi exists only there): exercises flock(2) through
// host/libc.ts and prints what happened as one JSON line.
//   bun flock-probe.ts same-process FILE   two open file descriptions of FILE in one process
//   bun flock-probe.ts hold FILE MS         LOCK_EX, print "locked", hold MS, LOCK_UN
//   bun flock-probe.ts wait FILE            blocking LOCK_EX; print how long it waited
import { closeSync, openSync, writeSync } from "node:fs";
import { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SyscallError, flock } from "../libc.ts";

const [mode, file, ms] = process.argv.slice(2);
const say = (line: string): void => void writeSync(1, `${line}\n`);
if (file === undefined) throw new Error("usage: flock-probe.ts same-process|hold|wait FILE [MS]");

if (mode === "same-process") {
  const a = openSync(file, "r");
  const b = openSync(file, "r");
  const steps: Record<string, boolean | string> = {};
  steps["a EX"] = flock(a, LOCK_EX);
  steps["b EX|NB while a holds EX"] = flock(b, LOCK_EX | LOCK_NB);
  steps["b SH|NB while a holds EX"] = flock(b, LOCK_SH | LOCK_NB);
  steps["a UN"] = flock(a, LOCK_UN);
  steps["b EX|NB after a UN"] = flock(b, LOCK_EX | LOCK_NB);
  steps["b UN"] = flock(b, LOCK_UN);
  steps["a SH|NB"] = flock(a, LOCK_SH | LOCK_NB);
  steps["b SH|NB while a holds SH"] = flock(b, LOCK_SH | LOCK_NB);
  steps["b EX|NB while both hold SH"] = flock(b, LOCK_EX | LOCK_NB);
  closeSync(a);
  steps["b EX|NB after a closed"] = flock(b, LOCK_EX | LOCK_NB);
  try {
    flock(9999, LOCK_EX);
    steps["bad fd"] = "no error";
  } catch (err) {
    steps["bad fd"] = err instanceof SyscallError ? `${err.errno} ${err.message}` : String(err);
  }
  say(JSON.stringify(steps));
} else if (mode === "hold") {
  const fd = openSync(file, "r");
  flock(fd, LOCK_EX);
  say("locked");
  await Bun.sleep(Number(ms ?? 300));
  flock(fd, LOCK_UN);
  say("unlocked");
} else if (mode === "wait") {
  const fd = openSync(file, "r");
  const t0 = performance.now();
  flock(fd, LOCK_EX);
  say(JSON.stringify({ waitedMs: performance.now() - t0 }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
