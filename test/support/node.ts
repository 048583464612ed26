import { lutimesSync, readdirSync, readlinkSync } from "node:fs";
import { decodeRecord } from "../../common/allocation-record.ts";
import { callPlugin, callPluginAsync, tempStateDir, type PluginCall, type PluginOutcome } from "./cni.ts";
import { ipJson, NetnsSet, netnsPath } from "../rig/netns.ts";
import { must } from "../rig/run-process.ts";

/**
 * A single "node" for CNI tests: a network namespace standing in for the host (so the real
 * host's interfaces and routes are never touched), with an underlay link (192.0.2.0/24) to a LAN namespace that is its default gateway, its own state dir, and pods as further namespaces.
 */
export class TestNode {
  readonly ns: NetnsSet;
  readonly name: string;
  readonly stateDir: string;
  readonly address: string;
  private readonly cleanupState: () => void;

  /** The namespace at the far end of the node's underlay link (its default gateway). */
  readonly lan: string;

  constructor(label: string, address = "192.0.2.1") {
    this.ns = new NetnsSet(label);
    this.name = this.ns.create();
    this.lan = this.ns.create();
    this.address = address;
    try {
      // A real node has an underlay link and a default route. Proxy ARP for the pods' gateway
      // 169.254.1.1 needs that route: the kernel answers only for targets it routes elsewhere.
      must(["ip", "-n", this.name, "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", this.lan]);
      must(["ip", "-n", this.name, "addr", "add", `${address}/24`, "dev", "ul0"]);
      must(["ip", "-n", this.name, "link", "set", "ul0", "up"]);
      must(["ip", "-n", this.lan, "addr", "add", "192.0.2.254/24", "dev", "ul0"]);
      must(["ip", "-n", this.lan, "link", "set", "ul0", "up"]);
      must(["ip", "-n", this.name, "route", "add", "default", "via", "192.0.2.254"]);
    } catch (err) {
      this.ns.removeAll();
      throw err;
    }
    const state = tempStateDir(label);
    this.stateDir = state.dir;
    this.cleanupState = state.cleanup;
  }

  config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { cniVersion: "1.0.0", name: "petrel-test", type: "petrel", stateDir: this.stateDir, ipam: { blocks: ["198.18.0.0/26"] }, ...overrides };
  }

  newPod(): { name: string; path: string } {
    const name = this.ns.create();
    return { name, path: netnsPath(name) };
  }

  plugin(call: PluginCall): PluginOutcome {
    return callPlugin(call, undefined, this.name);
  }

  pluginAsync(call: PluginCall): Promise<PluginOutcome> {
    return callPluginAsync(call, undefined, this.name);
  }

  /** Allocation records: address -> "network/containerID/ifname" (common/allocation-record.ts decodes them). */
  records(): Map<string, string> {
    const dir = `${this.stateDir}/allocations`;
    const out = new Map<string, string>();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return out;
    }
    for (const n of names) {
      if (n.startsWith(".")) continue;
      const target = readlinkSync(`${dir}/${n}`);
      const r = decodeRecord(n, target);
      out.set(n, r === undefined ? `(not a record: ${target})` : `${r.network}/${r.containerId}/${r.ifname}`);
    }
    return out;
  }

  /**
   * Makes every allocation record look `ms` old (lutimes on the symlinks): CNI GC keeps records
   * reserved less than a minute before it (cni-plugin/commands/gc.ts).
   */
  ageRecords(ms = 120_000): void {
    const dir = `${this.stateDir}/allocations`;
    const then = new Date(Date.now() - ms);
    for (const n of readdirSync(dir)) if (!n.startsWith(".")) lutimesSync(`${dir}/${n}`, then, then);
  }

  /** Names of the node's Petrel host veths. */
  veths(): string[] {
    return ipJson<Array<{ ifname: string }>>(this.name, ["link", "show"]).map((l) => l.ifname).filter((n) => n.startsWith("ptl"));
  }

  /** The node's /32 routes to pods (Petrel's CNI route protocol). */
  podRoutes(): string[] {
    return ipJson<Array<{ dst: string }>>(this.name, ["route", "show", "proto", "89"]).map((r) => r.dst);
  }

  destroy(): void {
    this.ns.removeAll();
    this.cleanupState();
  }
}
