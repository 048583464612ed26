/** The leader-election Lease (LeaseStore) on coordination.k8s.io/v1. */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { kubeError, statusCodeOf } from "../../common/host/kube-errors.ts";
import type { LeaseRecord, LeaseStore } from "../ports.ts";

// MicroTime fields: the client passes strings through unchanged and may hand back strings or Dates.
const text = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : typeof v === "string" ? v : undefined);

export class KubeLeaseStore implements LeaseStore {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kc: KubeConfig, namespace: string, name: string) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
  }

  #body(r: LeaseRecord): V1Lease {
    const spec: Record<string, unknown> = {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: r.acquireTime,
      renewTime: r.renewTime,
      leaseTransitions: r.leaseTransitions,
    };
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: this.#namespace, ...(r.resourceVersion === undefined ? {} : { resourceVersion: r.resourceVersion }) },
      spec: spec as V1Lease["spec"],
    };
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
      const s = lease.spec ?? {};
      const out: Record<string, unknown> = {
        holderIdentity: s.holderIdentity,
        leaseDurationSeconds: s.leaseDurationSeconds,
        acquireTime: text(s.acquireTime),
        renewTime: text(s.renewTime),
        leaseTransitions: s.leaseTransitions,
        resourceVersion: lease.metadata?.resourceVersion,
      };
      return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && v !== null)) as LeaseRecord;
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw kubeError(`reading Lease ${this.#namespace}/${this.#name}`, err);
    }
  }

  async create(record: LeaseRecord): Promise<"ok" | "conflict"> {
    try {
      await this.#api.createNamespacedLease({ namespace: this.#namespace, body: this.#body(record) });
      return "ok";
    } catch (err) {
      if (statusCodeOf(err) === 409) return "conflict";
      throw kubeError(`creating Lease ${this.#namespace}/${this.#name}`, err);
    }
  }

  async update(record: LeaseRecord): Promise<"ok" | "conflict"> {
    try {
      await this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: this.#body(record) });
      return "ok";
    } catch (err) {
      if (statusCodeOf(err) === 409) return "conflict";
      throw kubeError(`updating Lease ${this.#namespace}/${this.#name}`, err);
    }
  }
}
