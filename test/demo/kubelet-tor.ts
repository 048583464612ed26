// `npm run demo -- --tor` on kubelet nodes: BIRD 2 as a top-of-rack router on the nodes'
// underlay (its own netns on the switch bridge, 203.0.113.254, AS 65000), peering with every
// node over eBGP through a Petrel BGPPeer "tor"; it learns the nodes' blocks and announces
// nothing back (test/support/bird.ts).
import { birdRoutes, birdSessions, startBirdTor, type BirdTor } from "../support/bird.ts";
import { podPool, waitFor, type KubeletCluster } from "../support/kubelet-cluster.ts";
import { killAll } from "../rig/start-process.ts";
import { must, run } from "../rig/run-process.ts";

export const kubeletTorAddress = "203.0.113.254";
export const kubeletTorAsn = 65000;
/** The chart's default bgp.asNumber. */
const clusterAsn = 64512;

export class KubeletTor {
  readonly #c: KubeletCluster;
  readonly #bird: BirdTor;

  private constructor(c: KubeletCluster, bird: BirdTor) {
    this.#c = c;
    this.#bird = bird;
  }

  static async start(c: KubeletCluster): Promise<KubeletTor> {
    const netns = c.ns.create();
    must(["ip", "-n", c.switchNs, "link", "add", "tor", "type", "veth", "peer", "name", "ul0", "netns", netns]);
    must(["ip", "-n", c.switchNs, "link", "set", "tor", "master", "br0", "up"]);
    must(["ip", "-n", netns, "addr", "add", `${kubeletTorAddress}/24`, "dev", "ul0"]);
    must(["ip", "-n", netns, "link", "set", "ul0", "up"]);
    const neighbors = c.nodes.map((n) => ({ name: n.name, address: n.ip, asn: clusterAsn }));
    return new KubeletTor(c, await startBirdTor(netns, c.dir, kubeletTorAddress, kubeletTorAsn, neighbors, podPool));
  }

  /** The BGPPeer that makes every node's agent peer with the ToR (after helm install: the CRD comes with the chart). */
  async peer(): Promise<void> {
    await this.#c.kubectlOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "BGPPeer", metadata: { name: "tor" }, spec: { peerIP: kubeletTorAddress, asNumber: kubeletTorAsn } }));
  }

  /** Every session Established and a route for at least one block per node. */
  async waitRoutes(nodes: number): Promise<void> {
    await waitFor("the ToR's sessions and routes", 120_000, () => {
      const up = [...birdSessions(this.#bird).values()].every((s) => s === "Established");
      return up && birdRoutes(this.#bird).size >= nodes ? true : undefined;
    });
  }

  showRoute(): string {
    return run(["birdc", "-s", this.#bird.socket, "show", "route"]).stdout;
  }

  async stop(): Promise<void> {
    await killAll([this.#bird.proc]);
  }
}
