// Namespace safety of the plugin's only switch into a pod's netns (cni-plugin/host/netns.ts),
// run through Bun (bun:ffi) as root inside a test node's netns: the thread enters, returns
// whatever happens inside, and the sockets stay bound where they were made.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../rig/repo-root.ts";
import { requireRoot } from "../rig/netns.ts";
import { hostTool } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";

let node: TestNode;
beforeAll(() => {
  requireRoot();
  node = new TestNode("nsswitch");
});
afterAll(() => node?.destroy());

test("setns in, one call, setns back: verified after success, a throw and a bad descriptor", () => {
  const pod = node.newPod();
  const bun = join(repoRoot, "node_modules", ".bin", "bun");
  const probe = join(repoRoot, "cni-plugin", "host", "testing", "netns-probe.ts");
  const r = spawnSync(hostTool("ip"), ["netns", "exec", node.name, bun, probe, pod.path], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(out["home"]).not.toBe(out["pod"]);
  expect(out).toMatchObject({
    insideSeesPod: out["pod"],
    afterSwitch: out["home"],
    thrownInside: "failure inside",
    afterThrow: out["home"],
    // A socket made during the switch sees the pod's links; the host socket, the node's.
    podSocketLinks: ["lo"],
    hostSocketLinks: ["lo", "ul0"],
    afterSocket: out["home"],
    badFd: "setns: Invalid argument (EINVAL)",
    afterBadFd: out["home"],
  });
});
