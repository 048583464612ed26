/**
 * The DaemonSet that runs this pod, as the uninstall decision needs it (common/release-gone.ts):
 * a watch from the start (by name: RBAC `resourceNames` allows list and watch with a
 * `metadata.name` field selector), and one read when the program is stopped. Used by the CNI
 * installer and the agent, which share the node pod and its ServiceAccount.
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { lookOf, ownerProofMaxAgeMs, ownerReadOf, releaseGone, type OwnerLook, type OwnerRead, type OwnerSeen, type ReleaseGoneDecision } from "../release-gone.ts";
import type { KubeRest } from "./kube-rest.ts";
import { ResourceWatch } from "./resource-watch.ts";

/** How long the read at SIGTERM may take; the pod's grace period is 30 s and cleanup follows. */
const readTimeoutMs = 5000;

export class OwnerDaemonSet {
  readonly #rest: KubeRest;
  readonly #path: string;
  readonly #name: string;
  readonly #now: () => number;
  readonly #watch: ResourceWatch<OwnerLook>;
  #seen: OwnerSeen | undefined;
  #everPresent = false;

  constructor(rest: KubeRest, namespace: string, name: string, log: Logger, now: () => number = Date.now) {
    this.#rest = rest;
    this.#name = name;
    this.#now = now;
    this.#path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets`;
    this.#watch = new ResourceWatch<OwnerLook>({
      rest, log, path: this.#path, fieldSelector: `metadata.name=${name}`,
      transform: (o) => lookOf(o as { metadata?: Record<string, unknown> }),
      fingerprint: (l) => JSON.stringify(l),
      onChange: () => this.#observe(this.#watch.list()[0] ?? { kind: "absent" }),
    });
  }

  #observe(look: OwnerLook): void {
    const before = this.#seen?.look;
    if (look.kind === "present") this.#everPresent = true;
    // "Since" is when this kind of look began: a deletion's age counts from the first sight of it.
    const same = before !== undefined && before.kind === look.kind && (look.kind === "absent" || (before.kind === "present" && before.deleting === look.deleting));
    this.#seen = { look, sinceMs: same && this.#seen !== undefined ? this.#seen.sinceMs : this.#now() };
  }

  start(): void {
    void this.#watch.start();
  }

  stop(): void {
    this.#watch.stop();
  }

  /** One GET, never longer than readTimeoutMs; every failure is a failed read, not an exception. */
  async read(): Promise<OwnerRead> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<OwnerRead>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${readTimeoutMs} ms` }), readTimeoutMs);
    });
    const get = this.#rest.request(`${this.#path}/${encodeURIComponent(this.#name)}`)
      .then((r) => ownerReadOf(this.#name, r.status, r.body), (err: unknown): OwnerRead => ({ ok: false, error: errorMessage(err) }));
    try {
      return await Promise.race([get, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether the release is gone, from a read made at SIGTERM and what the watch has seen until
   * now: callers read first and decide after their own shutdown, which gives a DELETED event
   * still in flight that time to arrive.
   */
  decide(read: OwnerRead): ReleaseGoneDecision {
    if (read.ok && read.look.kind === "present") this.#everPresent = true;
    return releaseGone({ daemonset: this.#name, everPresent: this.#everPresent, read, seen: this.#seen, nowMs: this.#now(), maxProofAgeMs: ownerProofMaxAgeMs });
  }
}
