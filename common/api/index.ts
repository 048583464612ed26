// Petrel's API types: the hand-written Kubernetes metadata types and the types generated from crds/.
export type * from "./object-meta.ts";
export * from "./v1alpha1.ts";
