// The CRDs in crds/ against a real kube-apiserver (test/rig): invalid objects are rejected with
// messages that name the field, valid ones are accepted, printer columns are what operators see.
// Needs the binaries from test/rig/build-k8s.sh; without them beforeAll fails (it never skips).
import { join } from "node:path";
import { KubeRig, type ProcessResult } from "../rig/rig.ts";
import { CrdKubectl, parseTable } from "../support/crd-kubectl.ts";

const CRD_DIR = join(__dirname, "..", "..", "crds");
const CRDS = ["ippools", "ipamblocks", "petrelnodes", "bgpconfigurations", "bgppeers"].map((p) => `${p}.petrel.dev`);
const API_VERSION = "petrel.dev/v1alpha1";

let rigOrUndefined: KubeRig | undefined;
function rig(): KubeRig {
  if (rigOrUndefined === undefined) throw new Error("the rig did not start (see the beforeAll error)");
  return rigOrUndefined;
}

beforeAll(async () => {
  rigOrUndefined = await KubeRig.start();
  await rig().kubectlOk(["apply", "--server-side", "-f", CRD_DIR]);
  await rig().kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", ...CRDS.map((c) => `crd/${c}`)]);
}, 300_000);

afterAll(async () => {
  await rigOrUndefined?.stop();
}, 60_000);

const { create, createOk, patch, getJson, getTable } = new CrdKubectl(rig);

/** Expects the API to refuse, with every `fragments` string in kubectl's error output. */
async function expectRejected(result: Promise<ProcessResult>, ...fragments: string[]): Promise<void> {
  const r = await result;
  expect(r.status).not.toBe(0);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

async function table(args: readonly string[]): Promise<{ header: string[]; row: string[] }> {
  const { header, rows } = await getTable(args);
  expect(rows).toHaveLength(1);
  return { header, row: rows[0] ?? [] };
}

describe("IPPool", () => {
  test("accepts IPv4 and IPv6 pools, with and without blockSize", async () => {
    await createOk("IPPool", "v4-explicit", { cidr: "198.18.0.0/16", blockSize: 26, natOutgoing: true });
    await createOk("IPPool", "v4-default", { cidr: "198.19.0.0/24" });
    await createOk("IPPool", "v6-explicit", { cidr: "2001:db8:1::/48", blockSize: 122 });
    await createOk("IPPool", "v6-default", {
      cidr: "2001:db8:2::/64",
      nodeSelector: { matchLabels: { "petrel.dev/zone": "a" }, matchExpressions: [{ key: "rack", operator: "In", values: ["r1"] }] },
    });
    await createOk("IPPool", "v4-whole-pool-block", { cidr: "198.19.1.0/26", blockSize: 26 });
    const pool = await getJson("ippool", "v4-default");
    // Booleans default in the schema; blockSize deliberately does not (it depends on the family).
    expect(pool.spec).toEqual({ cidr: "198.19.0.0/24", natOutgoing: false, disabled: false, disableBGPExport: false });
  });

  test("rejects a spec.cidr that is not a CIDR", async () => {
    await expectRejected(create("IPPool", "bad-cidr-1", { cidr: "198.18.0.0/33" }), "spec.cidr", "spec.cidr must be a CIDR");
    await expectRejected(create("IPPool", "bad-cidr-2", { cidr: "pods" }), "spec.cidr", "spec.cidr must be a CIDR");
    await expectRejected(create("IPPool", "bad-cidr-3", { cidr: "198.18.0.0" }), "spec.cidr must be a CIDR");
  });

  test("rejects a spec.cidr with host bits set, naming the network address", async () => {
    await expectRejected(
      create("IPPool", "host-bits", { cidr: "198.18.7.1/16" }),
      "spec.cidr",
      "spec.cidr must be a network address with no host bits set: use 198.18.0.0/16",
    );
    await expectRejected(create("IPPool", "host-bits-v6", { cidr: "2001:db8::1/64" }), "use 2001:db8::/64");
  });

  test("rejects a default route as spec.cidr", async () => {
    await expectRejected(create("IPPool", "everything", { cidr: "0.0.0.0/0", blockSize: 26 }), "spec.cidr", "spec.cidr must not be a default route");
  });

  test("rejects a missing spec.cidr", async () => {
    await expectRejected(create("IPPool", "no-cidr", { blockSize: 26 }), "spec.cidr", "Required value");
    await expectRejected(create("IPPool", "no-spec", undefined), "spec", "Required value");
  });

  test("rejects a block size that does not fit the family", async () => {
    await expectRejected(
      create("IPPool", "v4-block-33", { cidr: "198.18.0.0/16", blockSize: 33 }),
      "spec.blockSize",
      "spec.blockSize 33 does not fit the family of spec.cidr: IPv4 block sizes are 20 to 32",
    );
    await expectRejected(
      create("IPPool", "v4-block-122", { cidr: "198.18.0.0/16", blockSize: 122 }),
      "spec.blockSize 122 does not fit the family of spec.cidr: IPv4 block sizes are 20 to 32",
    );
    await expectRejected(
      create("IPPool", "v6-block-64", { cidr: "2001:db8::/48", blockSize: 64 }),
      "spec.blockSize 64 does not fit the family of spec.cidr: IPv6 block sizes are 116 to 128",
    );
    await expectRejected(create("IPPool", "v6-block-129", { cidr: "2001:db8::/48", blockSize: 129 }), "spec.blockSize", "less than or equal to 128");
  });

  test("rejects a block larger than the pool (block size below the pool's prefix length)", async () => {
    await expectRejected(
      create("IPPool", "block-bigger", { cidr: "198.18.0.0/24", blockSize: 22 }),
      "spec.blockSize",
      "spec.blockSize 22 is smaller than the prefix length 24 of spec.cidr",
    );
    await expectRejected(
      create("IPPool", "default-block-bigger", { cidr: "198.18.0.0/28" }),
      "spec.blockSize (default 26) is smaller than the prefix length 28 of spec.cidr",
    );
    await expectRejected(
      create("IPPool", "default-block-bigger-v6", { cidr: "2001:db8::/124" }),
      "spec.blockSize (default 122) is smaller than the prefix length 124 of spec.cidr",
    );
  });

  test("spec.cidr and the effective spec.blockSize are immutable; other fields are not", async () => {
    await createOk("IPPool", "immutable", { cidr: "198.18.64.0/20" });
    await expectRejected(patch("ippool", "immutable", { spec: { cidr: "198.18.80.0/20" } }), "spec.cidr", "spec.cidr is immutable");
    await expectRejected(patch("ippool", "immutable", { spec: { blockSize: 27 } }), "spec.blockSize", "spec.blockSize is immutable");
    // Writing down the default that is already in force changes nothing, so it is allowed.
    expect((await patch("ippool", "immutable", { spec: { blockSize: 26 } })).status).toBe(0);
    expect((await patch("ippool", "immutable", { spec: { disabled: true, natOutgoing: true } })).status).toBe(0);
    const pool = await getJson("ippool", "immutable");
    expect(pool.spec).toMatchObject({ cidr: "198.18.64.0/20", blockSize: 26, disabled: true, natOutgoing: true });
  });

  test("kubectl get ippools shows CIDR, Block Size, Blocks, Used, Disabled and Age", async () => {
    await createOk("IPPool", "columns", { cidr: "198.18.128.0/20", blockSize: 27, disabled: true });
    // status is a subresource, written by the controller; play the controller here.
    const st = await patch("ippool", "columns", { status: { blockSize: 27, blocks: 3, usedAddresses: 17, freeBlocks: "125" } }, "status");
    expect(st.stderr).toBe("");
    expect(st.status).toBe(0);
    const { header, rows } = parseTable(await rig().kubectlOk(["get", "ippools"]));
    expect(header).toEqual(["NAME", "CIDR", "BLOCK SIZE", "BLOCKS", "USED", "DISABLED", "AGE"]);
    const row = rows.find((r) => r[0] === "columns") ?? [];
    expect(row.slice(0, 6)).toEqual(["columns", "198.18.128.0/20", "27", "3", "17", "true"]);
    expect(row[6]).toMatch(/^\d+s$/);
    // Until the controller has published status.blockSize, a defaulted pool shows no block size.
    expect(rows.find((r) => r[0] === "v4-default")?.slice(0, 6)).toEqual(["v4-default", "198.19.0.0/24", "", "", "", "false"]);
    // Short name and category reach the same objects.
    expect(await rig().kubectlOk(["get", "ipp", "columns", "-o", "name"])).toBe("ippool.petrel.dev/columns\n");
    expect(await rig().kubectlOk(["get", "petrel", "-o", "name"])).toContain("ippool.petrel.dev/columns\n");
  });
});

describe("IPPool overlap admission policy (crds/admission/ippool-overlap.yaml)", () => {
  test("rejects a pool overlapping another, naming it; accepts disjoint pools", async () => {
    await rig().kubectlOk(["apply", "-f", join(CRD_DIR, "admission", "ippool-overlap.yaml")]);
    await createOk("IPPool", "vap-base", { cidr: "198.19.96.0/22" });
    // The policy's type checking and param informer start asynchronously: retry until it denies.
    let r: ProcessResult | undefined;
    for (let i = 0; i < 50; i++) {
      r = await create("IPPool", "vap-inside", { cidr: "198.19.97.0/24" });
      if (r.status !== 0) break;
      await rig().kubectlOk(["delete", "ippool", "vap-inside"]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(r?.status).not.toBe(0);
    expect(r?.stderr).toContain("spec.cidr 198.19.97.0/24 overlaps IPPool vap-base (198.19.96.0/22)");
    // A pool around vap-base (and around nothing else in this rig) is refused too.
    await expectRejected(create("IPPool", "vap-around", { cidr: "198.19.96.0/21" }), "overlaps IPPool vap-base");
    await createOk("IPPool", "vap-beside", { cidr: "198.19.100.0/22" });
    // Updating an existing pool is not a create: the policy does not block unrelated edits.
    expect((await patch("ippool", "vap-base", { spec: { disabled: true } })).status).toBe(0);
    await rig().kubectlOk(["delete", "ippool", "vap-base", "vap-beside"]);
    await rig().kubectlOk(["delete", "-f", join(CRD_DIR, "admission", "ippool-overlap.yaml")]);
  });
});

describe("IPAMBlock", () => {
  const block = { cidr: "198.18.0.64/26", pool: "v4-explicit", node: "node-a" };

  test("accepts a block named after its CIDR, IPv4 and IPv6", async () => {
    await createOk("IPAMBlock", "198-18-0-64-26", block);
    await createOk("IPAMBlock", "2001-db8-1--40-122", { cidr: "2001:db8:1::40/122", pool: "v6-explicit", node: "node-a" });
    const st = await patch("ipamblock", "198-18-0-64-26", { status: { allocated: 3, capacity: 64, lastUpdate: "2026-01-01T00:00:00Z" } }, "status");
    expect(st.status).toBe(0);
    const { header, row } = await table(["ipamblocks", "198-18-0-64-26"]);
    expect(header).toEqual(["NAME", "CIDR", "NODE", "POOL", "DRAINING", "ALLOCATED", "CAPACITY", "AGE"]);
    expect(row.slice(0, 7)).toEqual(["198-18-0-64-26", "198.18.0.64/26", "node-a", "v4-explicit", "false", "3", "64"]);
  });

  test("the name must be derived from spec.cidr (create is the lock)", async () => {
    await expectRejected(
      create("IPAMBlock", "my-block", { ...block, cidr: "198.18.0.128/26" }),
      "metadata.name must be derived from spec.cidr: expected 198-18-0-128-26",
    );
  });

  test("spec.cidr must be canonical, a block size of its family, and is immutable with pool and node", async () => {
    await expectRejected(create("IPAMBlock", "198-18-0-65-26", { ...block, cidr: "198.18.0.65/26" }), "spec.cidr", "use 198.18.0.64/26");
    await expectRejected(create("IPAMBlock", "2001-DB8--40-122", { ...block, cidr: "2001:DB8::40/122" }), "spec.cidr", "use 2001:db8::40/122");
    await expectRejected(create("IPAMBlock", "198-18-0-0-16", { ...block, cidr: "198.18.0.0/16" }), "spec.cidr prefix length must be 20 to 32 for IPv4");
    await expectRejected(create("IPAMBlock", "198-18-0-0-26", { cidr: "198.18.0.0/26", pool: "v4-explicit" }), "spec.node", "Required value");
    await expectRejected(patch("ipamblock", "198-18-0-64-26", { spec: { node: "node-b" } }), "spec.node is immutable");
    await expectRejected(patch("ipamblock", "198-18-0-64-26", { spec: { pool: "other" } }), "spec.pool is immutable");
  });
});

describe("PetrelNode", () => {
  test("accepts per-node BGP settings and rejects a bad router ID", async () => {
    await createOk("PetrelNode", "node-a", { asNumber: 4200000001, routerID: "198.18.255.1", routeReflectorClusterID: "198.18.255.254" });
    await createOk("PetrelNode", "node-b", undefined);
    await expectRejected(create("PetrelNode", "node-c", { routerID: "2001:db8::1" }), "spec.routerID", "spec.routerID must be a non-zero IPv4 address");
    await expectRejected(create("PetrelNode", "node-d", { asNumber: 4294967296 }), "spec.asNumber", "less than or equal to 4294967295");
    const st = await patch(
      "petrelnode",
      "node-a",
      {
        status: {
          bgpSessions: [{ peerIP: "2001:db8:ff::1", asNumber: 65001, type: "GlobalPeer", state: "Established", since: "2026-01-01T00:00:00Z", prefixesReceived: 0, prefixesAdvertised: 2 }],
          advertisedBlocks: ["198.18.0.64/26"],
          ipam: { blocks: 1, allocated: 3, capacity: 64 },
          conditions: [{ type: "Ready", status: "True", reason: "Running", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }],
          lastHeartbeatTime: "2026-01-01T00:00:00Z",
          routes: { installed: 4, blackholes: 1, refused: 2, refusedByReason: { default_route: 1, longer_than_block: 1 } },
          refusedRoutes: [{ peerIP: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", message: "0.0.0.0/0 is a default route", firstSeen: "2026-01-01T00:00:00Z", lastSeen: "2026-01-01T00:00:00Z", count: 1 }],
        },
      },
      "status",
    );
    expect(st.stderr).toBe("");
    const { header, row } = await table(["pn", "node-a"]);
    expect(header).toEqual(["NAME", "AS", "ROUTER ID", "READY", "BLOCKS", "USED", "HEARTBEAT", "AGE"]);
    expect(row.slice(0, 6)).toEqual(["node-a", "4200000001", "198.18.255.1", "True", "1", "3"]);
  });
});

describe("BGPConfiguration", () => {
  test("is a singleton named default, with defaults filled in", async () => {
    await expectRejected(create("BGPConfiguration", "other", {}), "metadata.name must be 'default'");
    await createOk("BGPConfiguration", "default", { serviceCIDRs: ["198.19.255.0/24", "2001:db8:ffff::/112"], communities: ["65000:100", "65000:1:2"] });
    const cfg = await getJson("bgpconfiguration", "default");
    expect(cfg.spec).toEqual({
      asNumber: 64512,
      nodeToNodeMesh: true,
      listenPort: 179,
      timers: { holdTimeSeconds: 90, keepaliveIntervalSeconds: 30 },
      gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
      serviceCIDRs: ["198.19.255.0/24", "2001:db8:ffff::/112"],
      communities: ["65000:100", "65000:1:2"],
    });
  });

  test("rejects bad timers, service CIDRs and communities, naming the field", async () => {
    await expectRejected(
      patch("bgpconfiguration", "default", { spec: { timers: { holdTimeSeconds: 9, keepaliveIntervalSeconds: 10 } } }),
      "spec.timers.keepaliveIntervalSeconds",
      "spec.timers.keepaliveIntervalSeconds must be less than spec.timers.holdTimeSeconds",
    );
    await expectRejected(patch("bgpconfiguration", "default", { spec: { timers: { holdTimeSeconds: 2 } } }), "spec.timers.holdTimeSeconds must be 0 or at least 3");
    await expectRejected(patch("bgpconfiguration", "default", { spec: { serviceCIDRs: ["198.19.0.1/16"] } }), "spec.serviceCIDRs[0]", "each of spec.serviceCIDRs must be a CIDR");
    await expectRejected(patch("bgpconfiguration", "default", { spec: { serviceCIDRs: ["0.0.0.0/0"] } }), "spec.serviceCIDRs[0]", "spec.serviceCIDRs must not hold a default route");
    await expectRejected(patch("bgpconfiguration", "default", { spec: { serviceCIDRs: ["::/0"] } }), "spec.serviceCIDRs[0]", "spec.serviceCIDRs must not hold a default route");
    await expectRejected(patch("bgpconfiguration", "default", { spec: { communities: ["65536:1"] } }), "spec.communities[0]", "each of spec.communities must be");
  });
});

describe("BGPPeer", () => {
  test("accepts an external peer and a route-reflector selector", async () => {
    await createOk("BGPPeer", "tor", { peerIP: "2001:db8:ff::1", asNumber: 65001, nodeSelector: { matchLabels: { rack: "r1" } }, multihop: { ttl: 2 }, password: { secretKeyRef: { name: "bgp", key: "tor" } }, learnFrom: true });
    await createOk("BGPPeer", "to-reflectors", { peerSelector: { matchLabels: { "petrel.dev/route-reflector": "true" } } });
    const { header, row } = await table(["bgppeers", "tor"]);
    expect(header).toEqual(["NAME", "PEER IP", "AS", "NODE", "MULTIHOP TTL", "AGE"]);
    expect(row.slice(0, 5)).toEqual(["tor", "2001:db8:ff::1", "65001", "", "2"]);
  });

  test("rejects contradictory or incomplete peers", async () => {
    await expectRejected(create("BGPPeer", "both", { peerIP: "198.18.255.1", asNumber: 65001, peerSelector: {} }), "exactly one of spec.peerIP and spec.peerSelector");
    await expectRejected(create("BGPPeer", "no-as", { peerIP: "198.18.255.1" }), "spec.asNumber is required with spec.peerIP");
    await expectRejected(create("BGPPeer", "bad-ip", { peerIP: "198.18.255.256", asNumber: 65001 }), "spec.peerIP", "spec.peerIP must be an IP address");
    await expectRejected(create("BGPPeer", "two-node-choices", { peerIP: "198.18.255.1", asNumber: 65001, node: "node-a", nodeSelector: {} }), "set at most one of spec.node and spec.nodeSelector");
  });
});

describe("route bounds admission policies (crds/admission/cidr-bounds.yaml, ipamblock-labels.yaml)", () => {
  /** Retries a write the policies should refuse until they do (their parameters sync in the background). */
  async function refusedEventually(attempt: () => Promise<ProcessResult>, undo: () => Promise<unknown>): Promise<ProcessResult> {
    let r = await attempt();
    for (let i = 0; i < 50 && r.status === 0; i++) {
      await undo();
      await new Promise((resolve) => setTimeout(resolve, 200));
      r = await attempt();
    }
    return r;
  }

  test("refuse service CIDRs and pools that overlap each other or contain a Node's address, naming the field", async () => {
    await rig().addNode("rig-bounds", {}, { internalIP: "198.51.100.77" });
    await rig().kubectlOk(["apply", "-f", join(CRD_DIR, "admission", "cidr-bounds.yaml")]);
    const services = (serviceCIDRs: string[]) => patch("bgpconfiguration", "default", { spec: { serviceCIDRs } });
    try {
      const node = await refusedEventually(() => services(["198.51.100.0/24"]), () => services([]));
      expect(node.stderr).toContain("spec.serviceCIDRs: 198.51.100.0/24 contains an address of Node rig-bounds (198.51.100.77)");
      await createOk("IPPool", "bounds-pool", { cidr: "198.19.64.0/20" });
      const pool = await refusedEventually(() => services(["198.19.66.0/24", "203.0.113.0/24"]), () => services([]));
      expect(pool.stderr).toContain("spec.serviceCIDRs: 198.19.66.0/24 overlaps IPPool bounds-pool (198.19.64.0/20)");
      expect((await services(["203.0.113.0/24"])).status).toBe(0);
      const over = await refusedEventually(() => create("IPPool", "bounds-over-services", { cidr: "203.0.113.0/25" }), () => rig().kubectl(["delete", "ippool", "bounds-over-services", "--ignore-not-found"]));
      expect(over.stderr).toContain("spec.cidr 203.0.113.0/25 overlaps spec.serviceCIDRs 203.0.113.0/24 of BGPConfiguration default");
      const underlay = await refusedEventually(() => create("IPPool", "bounds-underlay", { cidr: "198.51.100.0/24" }), () => rig().kubectl(["delete", "ippool", "bounds-underlay", "--ignore-not-found"]));
      expect(underlay.stderr).toContain("spec.cidr 198.51.100.0/24 contains an address of Node rig-bounds (198.51.100.77)");
    } finally {
      await services(["198.19.255.0/24", "2001:db8:ffff::/112"]);
      await rig().kubectlOk(["delete", "-f", join(CRD_DIR, "admission", "cidr-bounds.yaml")]);
      await rig().kubectl(["delete", "ippool", "bounds-pool", "--ignore-not-found"]);
      await rig().removeNode("rig-bounds");
    }
  });

  test("refuse an IPAMBlock whose node or pool label is not its spec's", async () => {
    // A block from before the policy, without labels: later updates that leave them alone pass.
    await createOk("IPAMBlock", "198-18-4-0-26", { cidr: "198.18.4.0/26", pool: "v4-explicit", node: "node-a" });
    await rig().kubectlOk(["apply", "-f", join(CRD_DIR, "admission", "ipamblock-labels.yaml")]);
    try {
      const block = (name: string, cidr: string, labels: Record<string, string>) =>
        rig().kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify({ apiVersion: API_VERSION, kind: "IPAMBlock", metadata: { name, labels }, spec: { cidr, pool: "v4-explicit", node: "node-a" } }));
      // The policy starts asynchronously: probe with server-side dry runs (admission runs, nothing
      // is stored) until it refuses, so no probe leaves a block behind.
      const dryWrong = () => rig().kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], JSON.stringify({ apiVersion: API_VERSION, kind: "IPAMBlock", metadata: { name: "198-18-5-0-26", labels: { "petrel.dev/node": "node-b", "petrel.dev/pool": "v4-explicit" } }, spec: { cidr: "198.18.5.0/26", pool: "v4-explicit", node: "node-a" } }));
      await refusedEventually(dryWrong, async () => undefined);
      const wrong = await block("198-18-5-0-26", "198.18.5.0/26", { "petrel.dev/node": "node-b", "petrel.dev/pool": "v4-explicit" });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain("the label petrel.dev/node must be the block's spec.node (node-a)");
      const noPool = await block("198-18-5-0-26", "198.18.5.0/26", { "petrel.dev/node": "node-a" });
      expect(noPool.stderr).toContain("metadata.labels[petrel.dev/pool] must equal spec.pool (v4-explicit)");
      expect((await block("198-18-5-0-26", "198.18.5.0/26", { "petrel.dev/node": "node-a", "petrel.dev/pool": "v4-explicit" })).status).toBe(0);
      expect((await patch("ipamblock", "198-18-4-0-26", { spec: { draining: true } })).status).toBe(0);
      expect((await patch("ipamblock", "198-18-5-0-26", { metadata: { labels: { "petrel.dev/node": "node-c" } } })).status).not.toBe(0);
    } finally {
      await rig().kubectlOk(["delete", "-f", join(CRD_DIR, "admission", "ipamblock-labels.yaml")]);
      await rig().kubectl(["delete", "ipamblock", "198-18-4-0-26", "198-18-5-0-26", "--ignore-not-found"]);
    }
  });
});

describe("rig", () => {
  test("addNode and removeNode create and delete core/v1 Nodes", async () => {
    await rig().addNode("rig-node-1", { "petrel.dev/zone": "a" }, { internalIP: "198.18.255.10" });
    const node = await getJson("node", "rig-node-1");
    expect(node.metadata).toMatchObject({ name: "rig-node-1", labels: { "petrel.dev/zone": "a" } });
    expect(node.status).toMatchObject({ addresses: [{ type: "InternalIP", address: "198.18.255.10" }] });
    expect(await rig().removeNode("rig-node-1")).toBe(true);
    expect(await rig().removeNode("rig-node-1")).toBe(false);
  });
});

describe("IPAMBlock protection (crds/admission/ipamblock-protection.yaml, with ipamblock-labels.yaml as the chart renders them)", () => {
  const name = "198-18-5-0-26";
  const labelled = (node: string) => JSON.stringify({ apiVersion: API_VERSION, kind: "IPAMBlock", metadata: { name, labels: { "petrel.dev/node": node, "petrel.dev/pool": "p" } }, spec: { cidr: "198.18.5.0/26", pool: "p", node: "node-a" } });
  /** Retries a server-side dry run (admission runs, nothing is stored or deleted) until it is refused with `message`. */
  async function refusedWith(args: readonly string[], input: string | undefined, message: string): Promise<ProcessResult | undefined> {
    let refused: ProcessResult | undefined;
    for (let i = 0; i < 50; i++) {
      refused = await rig().kubectl([...args, "--dry-run=server"], input);
      if (refused.status !== 0 && refused.stderr.includes(message)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return refused;
  }

  test("refuses an undrained delete and a wrong label; allows a drained or abandoned delete; a patch with another uid is refused", async () => {
    // The block protection switch renders both policies: the labels policy is the one that holds
    // the petrel.dev/node label to spec.node.
    await rig().kubectlOk(["apply", "-f", join(CRD_DIR, "admission", "ipamblock-protection.yaml")]);
    await rig().kubectlOk(["apply", "-f", join(CRD_DIR, "admission", "ipamblock-labels.yaml")]);
    // Policies start asynchronously: probe with server-side dry runs until each refuses, so that no
    // probe leaves a block behind that could not be deleted again once the policy is up.
    const refused = await refusedWith(["create", "-f", "-"], labelled("node-b"), "the label petrel.dev/node must be the block's spec.node (node-a)");
    expect(refused?.stderr).toContain("the label petrel.dev/node must be the block's spec.node (node-a)");
    expect((await rig().kubectl(["create", "-f", "-"], labelled("node-b"))).stderr).toContain("the label petrel.dev/node must be the block's spec.node (node-a)");
    await rig().kubectlOk(["create", "-f", "-"], labelled("node-a"));
    await refusedWith(["delete", "ipamblock", name], undefined, "is in use or not drained");
    await expectRejected(rig().kubectl(["delete", "ipamblock", name]), `IPAMBlock ${name} (198.18.5.0/26, node node-a) is in use or not drained (status.allocated: unknown)`, "kubectl patch ipamblock");
    // Drained: draining, acknowledged for this generation, nothing allocated.
    expect((await patch("ipamblock", name, { spec: { draining: true } })).status).toBe(0);
    const gen = ((await getJson("ipamblock", name)).metadata as { generation: number }).generation;
    expect((await patch("ipamblock", name, { status: { allocated: 1, observedGeneration: gen } }, "status")).status).toBe(0);
    await expectRejected(rig().kubectl(["delete", "ipamblock", name]), "status.allocated: 1");
    // The controller's abandon patch carries the uid it planned on: another uid is refused.
    const wrongUid = await patch("ipamblock", name, { metadata: { uid: "00000000-0000-0000-0000-000000000000", annotations: { "petrel.dev/abandoned": "test" } } });
    expect(wrongUid.status).not.toBe(0);
    const uid = ((await getJson("ipamblock", name)).metadata as { uid: string }).uid;
    expect((await patch("ipamblock", name, { metadata: { uid, annotations: { "petrel.dev/abandoned": "node gone" } } })).status).toBe(0);
    expect((await rig().kubectl(["delete", "ipamblock", name])).status).toBe(0);
    // And a drained, empty block goes.
    await rig().kubectlOk(["create", "-f", "-"], labelled("node-a"));
    expect((await patch("ipamblock", name, { spec: { draining: true } })).status).toBe(0);
    const gen2 = ((await getJson("ipamblock", name)).metadata as { generation: number }).generation;
    expect((await patch("ipamblock", name, { status: { allocated: 0, observedGeneration: gen2 } }, "status")).status).toBe(0);
    expect((await rig().kubectl(["delete", "ipamblock", name])).status).toBe(0);
    await rig().kubectlOk(["delete", "-f", join(CRD_DIR, "admission", "ipamblock-protection.yaml")]);
    await rig().kubectlOk(["delete", "-f", join(CRD_DIR, "admission", "ipamblock-labels.yaml")]);
  });
});
