import type { IpAddress } from "../../common/cidr.ts";
import type { CniEnv } from "../env.ts";
import type { Owner } from "../ipam/reserve.ts";
import type { NetConf } from "../netconf.ts";
import type { PodWiring } from "../pod-wiring.ts";
import { containerMac, hostVethName } from "../veth-name.ts";

/** The allocation key of the attachment the runtime named: (network, container ID, ifname). */
export function attachmentOwner(env: CniEnv, conf: NetConf): Owner {
  return { network: conf.name, containerId: env.containerId, ifname: env.ifname };
}

/** The wiring ADD builds and CHECK expects for this attachment and these addresses. */
export function attachmentWiring(env: CniEnv, conf: NetConf, addresses: IpAddress[]): PodWiring {
  return {
    netns: env.netns,
    ifname: env.ifname,
    hostVeth: hostVethName(conf.name, env.containerId, env.ifname),
    containerMac: containerMac(conf.name, env.containerId, env.ifname),
    mtu: conf.mtu,
    addresses,
  };
}
