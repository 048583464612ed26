// The naming rule is a contract with petrelctl (it finds a pod's host veth from its allocation
// record), so it lives in common/.
export { containerMac, hostVethName, hostVethPrefix } from "../common/veth-name.ts";
