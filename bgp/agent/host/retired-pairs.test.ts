// The reaper's decisions that need no kernel; destroying the group is tested on namespaces
// (test/cni/plugin.test.ts, "the agent destroys retired pairs").
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { retiredStampName } from "../../../common/pod-veth.ts";
import { reapRetiredPairs } from "./retired-pairs.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-reap-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("reapRetiredPairs", () => {
  it("does nothing without a stamp, or while the oldest retired pair is younger than 10 s (and keeps the stamp)", async () => {
    await expect(reapRetiredPairs("no-such-netns", dir)).resolves.toBe(false);
    const stamp = join(dir, retiredStampName);
    writeFileSync(stamp, "");
    const fiveSecondsAgo = new Date(Date.now() - 5_000);
    utimesSync(stamp, fiveSecondsAgo, fiveSecondsAgo);
    await expect(reapRetiredPairs("no-such-netns", dir)).resolves.toBe(false);
    expect(existsSync(stamp)).toBe(true);
  });
});
