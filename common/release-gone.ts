/**
 * Is the release gone? Asked by the node DaemonSet's programs when they are stopped (SIGTERM):
 * the CNI installer removes the files it wrote, the agent the node's Petrel routes and nft table,
 * but only after `helm uninstall`, never on a rolling update, a restart, a drain or while the API
 * server is down. Removing them then would stop pods from starting (files) or cut pods off from
 * the other nodes (routes) until the new pod is up; graceful restart exists to avoid exactly that.
 *
 * The only proof is the API's word that the DaemonSet running the pod is gone (404 NotFound for
 * that name) or being deleted (deletionTimestamp). A failed read proves nothing, whatever the
 * status: `helm uninstall` deletes the pod's ServiceAccount and Role in the same sweep as the
 * DaemonSet, usually before the pod is stopped, so at SIGTERM the read often fails with 401/403 —
 * but an RBAC change by an upgrade or an authorizer that is not ready yet gives the same answer.
 * So the programs also watch the DaemonSet from their start (a watch already open keeps
 * delivering after its credentials are revoked): the DELETED event, seen a moment before the
 * SIGTERM, is the proof when the read at SIGTERM cannot be made. Pure: common/host/owner-daemonset.ts
 * does the reading and watching.
 */

/** What one look at the DaemonSet (a read, or the watch's cache) showed. */
export type OwnerLook =
  | { readonly kind: "present"; readonly uid: string; readonly generation: number | undefined; readonly deleting: boolean }
  | { readonly kind: "absent" };

/** The read at SIGTERM. */
export type OwnerRead =
  | { readonly ok: true; readonly look: OwnerLook }
  | { readonly ok: false; readonly error: string };

/** What the watch shows now, and since when (ms since the epoch). */
export interface OwnerSeen {
  readonly look: OwnerLook;
  readonly sinceMs: number;
}

export interface ReleaseGoneInput {
  /** The DaemonSet's name; undefined when the program was not told (it then never cleans up). */
  readonly daemonset: string | undefined;
  /** Whether this process has ever seen the DaemonSet present (a wrong name or namespace never is). */
  readonly everPresent: boolean;
  /** The read at SIGTERM; undefined when none was made. */
  readonly read: OwnerRead | undefined;
  /** The watch's current view; undefined when it never listed. */
  readonly seen: OwnerSeen | undefined;
  readonly nowMs: number;
  /** A deletion the watch saw longer ago than this is no proof (see ownerProofMaxAgeMs). */
  readonly maxProofAgeMs: number;
}

export interface ReleaseGoneDecision {
  readonly gone: boolean;
  /** Why, in words for the log. */
  readonly reason: string;
  /** What the decision rests on. */
  readonly evidence: "read" | "watch" | "none";
}

/**
 * Between the DaemonSet's deletion and its pods' SIGTERM lie the garbage collector and the
 * kubelet: seconds, a minute on a loaded cluster. An older deletion (`helm uninstall --cascade
 * orphan`, then a new release adopting the pod) is not taken as proof when the read fails.
 */
export const ownerProofMaxAgeMs = 5 * 60_000;

function describe(look: OwnerLook): string {
  if (look.kind === "absent") return "not found";
  if (look.deleting) return "being deleted";
  return `present (generation ${look.generation ?? "?"})`;
}

const goneLook = (look: OwnerLook): boolean => look.kind === "absent" || look.deleting;

export function releaseGone(i: ReleaseGoneInput): ReleaseGoneDecision {
  if (i.daemonset === undefined) return { gone: false, reason: "no --daemonset given: this program never cleans up", evidence: "none" };
  const ds = `DaemonSet ${i.daemonset}`;
  if (!i.everPresent) {
    // The pod runs, so its DaemonSet existed: never seeing it means the name or the namespace is wrong.
    const why = i.read?.ok === true ? describe(i.read.look) : i.read?.ok === false ? `unreadable (${i.read.error})` : "never read";
    return { gone: false, reason: `${ds} was never seen present by this process (now: ${why}); check --daemonset and the namespace. Keeping everything`, evidence: "none" };
  }
  if (i.read?.ok === true) {
    // The read at SIGTERM is the newest word, in either direction (a new release may have taken the name).
    if (goneLook(i.read.look)) return { gone: true, reason: `${ds} is ${describe(i.read.look)}: the release is uninstalled`, evidence: "read" };
    return { gone: false, reason: `${ds} is ${describe(i.read.look)}: a rolling update, a restart or a drain`, evidence: "read" };
  }
  const failed = i.read === undefined ? "no read at SIGTERM" : `cannot read it at SIGTERM (${i.read.error})`;
  if (i.seen === undefined) return { gone: false, reason: `${failed}, and the watch never listed it: keeping everything`, evidence: "none" };
  if (!goneLook(i.seen.look)) return { gone: false, reason: `${failed}; the watch last saw it ${describe(i.seen.look)}: keeping everything`, evidence: "watch" };
  const age = Math.max(0, i.nowMs - i.seen.sinceMs);
  if (age > i.maxProofAgeMs) {
    return { gone: false, reason: `${failed}; the watch saw it ${describe(i.seen.look)} ${Math.round(age / 1000)} s ago, too long ago to be this stop's cause: keeping everything`, evidence: "watch" };
  }
  return { gone: true, reason: `${ds}: the watch saw it ${describe(i.seen.look)} ${age} ms ago and ${failed} (helm uninstall removes the RBAC with it): the release is uninstalled`, evidence: "watch" };
}

/**
 * A GET of the DaemonSet, as a look: 200 is present (deleting with a deletionTimestamp), 404 is
 * absent only with the API's own NotFound Status for that name (a proxy's or a load balancer's
 * 404 page is not proof); anything else is a failed read.
 */
export function ownerReadOf(name: string, status: number, body: unknown): OwnerRead {
  const o = (body ?? {}) as { kind?: unknown; reason?: unknown; message?: unknown; details?: { name?: unknown; group?: unknown; kind?: unknown }; metadata?: { uid?: unknown; generation?: unknown; deletionTimestamp?: unknown } };
  if (status === 200 && o.kind === "DaemonSet") return { ok: true, look: lookOf(o) };
  if (status === 404 && o.kind === "Status" && o.reason === "NotFound" && o.details?.name === name && o.details.group === "apps" && o.details.kind === "daemonsets") {
    return { ok: true, look: { kind: "absent" } };
  }
  const message = typeof o.message === "string" ? o.message : typeof body === "string" ? body.slice(0, 200) : "";
  return { ok: false, error: `HTTP ${status}${message === "" ? "" : `: ${message}`}` };
}

/** A DaemonSet object (from a read or the watch) as a look. */
export function lookOf(obj: { metadata?: { uid?: unknown; generation?: unknown; deletionTimestamp?: unknown } }): OwnerLook {
  const m = obj.metadata ?? {};
  return {
    kind: "present",
    uid: typeof m.uid === "string" ? m.uid : "",
    generation: typeof m.generation === "number" ? m.generation : undefined,
    deleting: typeof m.deletionTimestamp === "string" && m.deletionTimestamp !== "",
  };
}
