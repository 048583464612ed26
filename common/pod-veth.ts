/**
 * (A contract between the CNI plugin, which names the veth, the agent, which removes the veth of
 * a pod whose address it frees, and petrelctl, which finds a pod's host veth from its allocation
 * record: hence in common/.)
 *
 * Deterministic names and MACs for a pod attachment. The host veth name is "ptl" plus 12 hex
 * digits of a hash of (network, container ID, ifname): 15 characters, the kernel's limit, and
 * the same on every call so DEL, CHECK and GC find the interface without any stored state.
 * FNV-1a (64 bit) rather than a cryptographic hash: it needs no module load on the ADD path,
 * and collisions matter only between pods of one node.
 */
const fnvOffset = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = (1n << 64n) - 1n;

function fnv1a64(text: string): bigint {
  let h = fnvOffset;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * fnvPrime) & mask64;
  }
  return h;
}

function attachmentHash(network: string, containerId: string, ifname: string): string {
  return fnv1a64(`${network}/${containerId}/${ifname}`).toString(16).padStart(16, "0");
}

export const hostVethPrefix = "ptl";

export function hostVethName(network: string, containerId: string, ifname: string): string {
  return hostVethPrefix + attachmentHash(network, containerId, ifname).slice(0, 12);
}

/**
 * The name a pair takes when DEL retires it (docs/cni-plugin.md, "DEL"): "ptx" and the same
 * 12 digits, so the attachment's own name is free at once for a new ADD, and an operator can
 * tell which pod a retired pair belonged to.
 */
export const retiredVethPrefix = "ptx";

export function retiredVethName(hostVeth: string): string {
  return retiredVethPrefix + hostVeth.slice(hostVethPrefix.length);
}

/**
 * The link group (IFLA_GROUP) of pairs that DEL retired and that wait to be destroyed in one
 * batch: `ip link show group 89`, `ip link del group 89` (89, like the pod route protocol).
 */
export const retiredVethGroup = 89;
/** How long a retired pair may wait before a DEL or the agent destroys it (with every other retired pair). */
export const retiredVethReapAfterMs = 10_000;
/**
 * `<stateDir>/retired-veths.since`: its mtime is when the oldest pair not yet destroyed was
 * retired. The plugin creates it (O_EXCL, so an older stamp stays); whoever reaps first unlinks it
 * (so only one reaps), then destroys the group.
 */
export const retiredStampName = "retired-veths.since";

/** Whether retired pairs are due for destruction; a stamp from the future (clock stepped back) is due. */
export function retiredPairsDue(stampMtimeMs: number, nowMs: number): boolean {
  const age = nowMs - stampMtimeMs;
  return age < 0 || age >= retiredVethReapAfterMs;
}

/** A locally administered unicast MAC for the pod side, stable across retries of one ADD. */
export function containerMac(network: string, containerId: string, ifname: string): string {
  const h = attachmentHash(network, containerId, ifname).slice(4, 14);
  const bytes = ["0e", ...(h.match(/../g) ?? [])];
  return bytes.join(":");
}
