/**
 * Reads node-wide forwarding and turns it on when it is off (bgp/agent/forwarding.ts says why).
 * With `netns` (tests and the demo, where a node is a network namespace) the reads and writes
 * run as `ip netns exec <netns> sysctl`, since /proc/sys/net shows the reader's namespace.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { IpFamily } from "../../../common/cidr.ts";
import { errorMessage } from "../../../common/errors.ts";
import { forwardingSysctl, type ForwardingReading } from "../forwarding.ts";

const run = promisify(execFile);

async function read(netns: string | undefined, key: string): Promise<string> {
  if (netns === undefined) return (await readFile(`/proc/sys/${key.replaceAll(".", "/")}`, "utf8")).trim();
  return (await run("ip", ["netns", "exec", netns, "sysctl", "-n", key])).stdout.trim();
}

async function write(netns: string | undefined, key: string): Promise<void> {
  if (netns === undefined) await writeFile(`/proc/sys/${key.replaceAll(".", "/")}`, "1");
  else await run("ip", ["netns", "exec", netns, "sysctl", "-qw", `${key}=1`]);
}

export async function ensureForwarding(netns: string | undefined, families: readonly IpFamily[]): Promise<ForwardingReading[]> {
  const out: ForwardingReading[] = [];
  for (const family of families) {
    const key = forwardingSysctl[family];
    try {
      if ((await read(netns, key)) === "1") {
        out.push({ family, enabled: true, turnedOn: false });
        continue;
      }
    } catch (err) {
      out.push({ family, enabled: false, turnedOn: false, error: `cannot read it: ${errorMessage(err)}` });
      continue;
    }
    try {
      await write(netns, key);
      out.push({ family, enabled: true, turnedOn: true });
    } catch (err) {
      out.push({ family, enabled: false, turnedOn: false, error: errorMessage(err) });
    }
  }
  return out;
}
