// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// The BGPConfiguration kind (`bgpconfigurations.petrel.dev`); its group: ./v1alpha1.ts.
// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);
// label selectors and conditions use the shared types of ./object-meta.ts. Rules:
// test/scripts/api-types/generate.ts.
import type { Condition, ObjectMeta } from "./object-meta.ts";

/**
 * Cluster-wide BGP settings. A singleton; its name must be "default".
 *
 * `bgpconfigurations.petrel.dev` (short names: bgpc), cluster-scoped.
 */
export interface BGPConfiguration {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "BGPConfiguration";
  metadata: ObjectMeta;
  spec?: BGPConfigurationSpec;
  /** Written by the controller. */
  status?: BGPConfigurationStatus;
}

/** `BGPConfiguration.spec` */
export interface BGPConfigurationSpec {
  /** The cluster's AS number, used by every node without its own PetrelNode spec.asNumber. */
  asNumber?: number;
  /**
   * Peer every Petrel node with every other (full iBGP mesh). Turn off when route reflectors are
   * configured.
   */
  nodeToNodeMesh?: boolean;
  /** TCP port gobgpd listens on for BGP. */
  listenPort?: number;
  timers?: BGPConfigurationSpecTimers;
  gracefulRestart?: BGPConfigurationSpecGracefulRestart;
  /**
   * Service address ranges (cluster IPs, external or load-balancer IPs) that every node advertises,
   * and accepts from the other nodes, exactly as written. Never a default route; admission
   * (crds/admission/cidr-bounds.yaml) also refuses one that overlaps an IPPool or contains a Node's
   * address, and the agents ignore such a CIDR if it is stored anyway.
   */
  serviceCIDRs?: string[];
  /**
   * BGP communities attached to every route Petrel advertises: standard ("65000:100", two 16-bit
   * numbers) or large ("65000:1:2", three 32-bit numbers).
   */
  communities?: string[];
}

/** `BGPConfiguration.spec.timers` */
export interface BGPConfigurationSpecTimers {
  /** BGP hold time; 0 disables keepalives, otherwise at least 3 (RFC 4271). */
  holdTimeSeconds?: number;
  /** Interval between keepalives; must be below the hold time (usually a third of it). */
  keepaliveIntervalSeconds?: number;
  /** Wait before retrying a failed connection; unset means gobgpd's default. */
  connectRetrySeconds?: number;
}

/** `BGPConfiguration.spec.gracefulRestart` */
export interface BGPConfigurationSpecGracefulRestart {
  /** Keep forwarding on routes learned from a restarting peer (RFC 4724) while it comes back. */
  enabled?: boolean;
  /** Restart time announced to peers. */
  restartTimeSeconds?: number;
}

/** `BGPConfiguration.status`: Written by the controller. */
export interface BGPConfigurationStatus {
  observedGeneration?: number;
  /** Conditions reported about the configuration. */
  conditions?: Condition[];
}

/** A list of BGPConfiguration objects, as the API server returns it. */
export interface BGPConfigurationList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: BGPConfiguration[];
}
