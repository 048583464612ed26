// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// common/api/v1alpha1.test.ts fails when these files and the CRDs disagree. Each kind's types
// are in a file named after it; this index re-exports them beside the group's constants.
export type * from "./bgpconfiguration.ts";
export type * from "./bgppeer.ts";
export type * from "./ipamblock.ts";
export type * from "./ippool.ts";
export type * from "./petrelnode.ts";

export const GROUP = "petrel.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = "petrel.dev/v1alpha1";

/** Resource names (`kubectl get <plural>`, the path segment of the REST API) by kind. */
export const PLURALS = {
  BGPConfiguration: "bgpconfigurations",
  BGPPeer: "bgppeers",
  IPAMBlock: "ipamblocks",
  IPPool: "ippools",
  PetrelNode: "petrelnodes",
} as const;
