/** Host veth names, retired names and pod MACs: common/pod-veth.ts (the agent and petrelctl need the names too). */
export { containerMac, hostVethName, hostVethPrefix, retiredVethName, retiredVethPrefix } from "../common/pod-veth.ts";
