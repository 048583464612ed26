/** Host veth names and pod MACs: common/pod-veth.ts (the agent and petrelctl need the names too). */
export { containerMac, hostVethName, hostVethPrefix } from "../common/pod-veth.ts";
