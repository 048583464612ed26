/**
 * The parts of the Kubernetes meta/v1 types that Petrel's API objects use, written by hand (the
 * CRD schemas say only `metadata: {type: object}`, and conditions and label selectors are the
 * upstream types). Field names and meanings follow k8s.io/apimachinery/pkg/apis/meta/v1;
 * timestamps are RFC 3339 strings as they appear on the wire.
 */

/** A reference from a dependent object to its owner (`metadata.ownerReferences`). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** The owner manages this object (at most one owner reference may set it). */
  controller?: boolean;
  /** Foreground deletion of the owner waits for this object to be deleted first. */
  blockOwnerDeletion?: boolean;
}

/** Standard object metadata; Petrel's objects are all cluster-scoped, so `namespace` is unset for them. */
export interface ObjectMeta {
  /** Always set on objects read from the server; on create with `generateName`, pass `""`. */
  name: string;
  /** Prefix for a server-generated name, used when `name` is empty on create. */
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** Opaque version for optimistic concurrency and watches. */
  resourceVersion?: string;
  /** Incremented by the server on every change of the desired state (`spec`). */
  generation?: number;
  creationTimestamp?: string;
  /** Set by the server when deletion was requested; the object goes once its finalizers are removed. */
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** The status of a condition: `metav1.ConditionStatus`. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** One observation of an object's state (`metav1.Condition`), kept in `status.conditions` keyed by `type`. */
export interface Condition {
  /** CamelCase name of the condition, e.g. `Ready`, `Overlapping`, `Exhausted`. */
  type: string;
  status: ConditionStatus;
  /** The `metadata.generation` the condition was computed from. */
  observedGeneration?: number;
  /** When `status` last changed (RFC 3339). */
  lastTransitionTime: string;
  /** CamelCase machine-readable reason for the last transition. */
  reason: string;
  /** Human-readable details; may be empty. */
  message: string;
}

export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One requirement of a label selector. */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  /** Non-empty for `In` and `NotIn`, empty (or absent) for `Exists` and `DoesNotExist`. */
  values?: string[];
}

/**
 * A Kubernetes label selector (`metav1.LabelSelector`): all of `matchLabels` and all of
 * `matchExpressions` must hold. An empty selector selects everything.
 */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}
