// The host network of a test kubelet node: a network namespace (like the routed demo's nodes)
// with an "uplink" veth to the host namespace on 198.51.100.0/24, through which the kubelet
// reaches the rig's apiserver. The host side carries the apiserver's address (198.51.100.1 by
// default), so the uplink must exist before KubeRig.start({ listenAddress }) binds it.
//
// Point-to-point /32 addresses with a host route each way, not a shared /24: several nodes can
// each have an uplink, all with 198.51.100.1 on the host side, without two connected routes for
// the same subnet. Traffic on the uplink never leaves the machine.
import { must, run } from "./run-process.ts";
import type { NetnsSet } from "./netns.ts";

export const defaultApiAddress = "198.51.100.1";

let uplinkCount = 0;

export interface NodeNetnsOptions {
  /** The node's address on the uplink. Default 198.51.100.2; one per node. */
  address?: string;
  /** The host side's address: what the apiserver listens on. Default 198.51.100.1. */
  apiAddress?: string;
}

export class NodeNetns {
  /** Network namespace name (made by the caller's NetnsSet, so removed with it too). */
  readonly name: string;
  readonly address: string;
  readonly apiAddress: string;
  /** The uplink's host-side interface (`pk<pid>-<n>`); its peer in the netns is `api0`. */
  readonly hostLink: string;
  readonly #ns: NetnsSet;

  private constructor(ns: NetnsSet, name: string, address: string, apiAddress: string, hostLink: string) {
    this.#ns = ns;
    this.name = name;
    this.address = address;
    this.apiAddress = apiAddress;
    this.hostLink = hostLink;
  }

  /** A new namespace from `ns`, with loopback up and the uplink configured. */
  static create(ns: NetnsSet, options: NodeNetnsOptions = {}): NodeNetns {
    const address = options.address ?? "198.51.100.2";
    const apiAddress = options.apiAddress ?? defaultApiAddress;
    const name = ns.create();
    // At most 15 characters: pids go up to 4194304 on Linux.
    const hostLink = `pk${process.pid}-${++uplinkCount}`;
    try {
      must(["ip", "link", "add", hostLink, "type", "veth", "peer", "name", "api0", "netns", name]);
      must(["ip", "addr", "add", `${apiAddress}/32`, "dev", hostLink]);
      must(["ip", "link", "set", hostLink, "up"]);
      must(["ip", "route", "add", `${address}/32`, "dev", hostLink, "src", apiAddress]);
      must(["ip", "-n", name, "addr", "add", `${address}/32`, "dev", "api0"]);
      must(["ip", "-n", name, "link", "set", "api0", "up"]);
      must(["ip", "-n", name, "route", "add", `${apiAddress}/32`, "dev", "api0", "src", address]);
    } catch (err) {
      run(["ip", "link", "del", hostLink]);
      ns.remove(name);
      throw err;
    }
    return new NodeNetns(ns, name, address, apiAddress, hostLink);
  }

  /** Deletes the uplink (its host route goes with it) and the namespace. Idempotent. */
  remove(): void {
    run(["ip", "link", "del", this.hostLink]);
    this.#ns.remove(this.name);
  }
}
