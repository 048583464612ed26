/**
 * Kernel route protocol numbers that mark routes as Petrel's (`ip route show proto N`).
 * Petrel only ever replaces or deletes routes that carry one of these. The numbers are unused
 * by iproute2's /etc/iproute2/rt_protos and by FRR's and BIRD's defaults.
 */
/** Routes the agent installs from BGP best paths and the blackhole routes of its own blocks. */
export const agentRouteProtocol = 88;
/** The `<pod>/32 dev <veth>` host routes the CNI plugin installs. */
export const podRouteProtocol = 89;
