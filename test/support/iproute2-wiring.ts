/**
 * The independent oracle for the plugin's data plane: the same wiring made with iproute2
 * (`ip -batch`, one process per namespace, as the plugin did before it spoke netlink itself)
 * and the same /proc/sys writes. Tests wire one pod with this and one with the plugin and
 * compare the kernel's state (test/cni/netlink-oracle.test.ts).
 */
import { podRouteProtocol } from "../../common/route-protocols.ts";
import { hostPrefix, hostSysctls, hostVethMac, podGatewayV4, podGatewayV6, type PodWiring } from "../../cni-plugin/pod-wiring.ts";
import { must } from "../rig/run-process.ts";

/** Host namespace: the veth pair (pod end created in the pod's netns), IPv6 gateway address, routes. */
export function hostSetupScript(w: PodWiring): string {
  const lines = [
    `link add name ${w.hostVeth} mtu ${w.mtu} address ${hostVethMac} type veth ` +
      `peer name ${w.ifname} mtu ${w.mtu} address ${w.containerMac} netns ${w.netns}`,
    `link set dev ${w.hostVeth} up`,
  ];
  if (w.addresses.some((a) => a.family === 6)) lines.push(`addr add ${podGatewayV6}/64 dev ${w.hostVeth} scope link nodad`);
  for (const a of w.addresses) lines.push(`route replace ${hostPrefix(a)} dev ${w.hostVeth} scope link proto ${podRouteProtocol}`);
  return `${lines.join("\n")}\n`;
}

/** Pod namespace: addresses (IPv6 nodad), link up, gateway and default routes. */
export function containerSetupScript(w: PodWiring): string {
  const lines: string[] = [];
  for (const a of w.addresses) lines.push(`addr add ${hostPrefix(a)} dev ${w.ifname}${a.family === 6 ? " nodad" : ""}`);
  lines.push(`link set dev ${w.ifname} up`);
  if (w.addresses.some((a) => a.family === 4)) {
    lines.push(`route add ${podGatewayV4}/32 dev ${w.ifname} scope link`);
    lines.push(`route add default via ${podGatewayV4} dev ${w.ifname}`);
  }
  if (w.addresses.some((a) => a.family === 6)) lines.push(`route add default via ${podGatewayV6} dev ${w.ifname}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Wires `w` with iproute2 from inside the node namespace `nodeNetns`; `podNetns` is the pod's
 * namespace name (w.netns is its path).
 */
export function iproute2Wire(w: PodWiring, nodeNetns: string, podNetns: string): void {
  must(["ip", "-n", nodeNetns, "-batch", "-"], { input: hostSetupScript(w) });
  for (const [path, value] of hostSysctls(w)) {
    must(["ip", "netns", "exec", nodeNetns, "sh", "-c", `echo ${value} > ${path}`]);
  }
  must(["ip", "-n", podNetns, "-batch", "-"], { input: containerSetupScript(w) });
}

