import { lookOf, ownerProofMaxAgeMs, ownerReadOf, releaseGone, type OwnerLook, type ReleaseGoneInput } from "./release-gone.ts";

const present = (generation = 1): OwnerLook => ({ kind: "present", uid: "u1", generation, deleting: false });
const deleting: OwnerLook = { kind: "present", uid: "u1", generation: 2, deleting: true };
const absent: OwnerLook = { kind: "absent" };
const now = 1_000_000;
const base: ReleaseGoneInput = { daemonset: "petrel-node", everPresent: true, read: undefined, seen: { look: present(), sinceMs: now - 60_000 }, nowMs: now, maxProofAgeMs: ownerProofMaxAgeMs };
const readOk = (look: OwnerLook) => ({ ok: true as const, look });
const readFailed = (error: string) => ({ ok: false as const, error });
const decide = (over: Partial<ReleaseGoneInput>) => releaseGone({ ...base, ...over });

describe("releaseGone: only positive proof that the DaemonSet is gone cleans up", () => {
  test("helm uninstall, read at SIGTERM: the DaemonSet is not found", () => {
    expect(decide({ read: readOk(absent) })).toMatchObject({ gone: true, evidence: "read" });
  });

  test("helm uninstall with foreground deletion: the DaemonSet has a deletionTimestamp", () => {
    expect(decide({ read: readOk(deleting) })).toMatchObject({ gone: true, evidence: "read" });
  });

  test("helm uninstall, RBAC already gone at SIGTERM (401/403): the watch saw the deletion a moment before", () => {
    for (const error of ["HTTP 403: daemonsets.apps \"petrel-node\" is forbidden", "HTTP 401: Unauthorized"]) {
      const d = decide({ read: readFailed(error), seen: { look: absent, sinceMs: now - 150 } });
      expect(d).toMatchObject({ gone: true, evidence: "watch" });
      expect(d.reason).toContain("150 ms ago");
    }
    expect(decide({ read: readFailed("HTTP 403"), seen: { look: deleting, sinceMs: now - 2000 } })).toMatchObject({ gone: true, evidence: "watch" });
  });

  test("a rolling update: the DaemonSet exists with a new generation", () => {
    const d = decide({ read: readOk(present(7)), seen: { look: present(7), sinceMs: now - 1000 } });
    expect(d).toMatchObject({ gone: false, evidence: "read" });
    expect(d.reason).toMatch(/generation 7.*rolling update/);
  });

  test("an agent restart or a node drain (the pod is deleted, its DaemonSet stays)", () => {
    expect(decide({ read: readOk(present()) }).gone).toBe(false);
  });

  test("the API server is down at SIGTERM: the last look was present, so everything stays", () => {
    const d = decide({ read: readFailed("connect ECONNREFUSED 198.51.100.1:6443") });
    expect(d).toMatchObject({ gone: false, evidence: "watch" });
    expect(d.reason).toContain("ECONNREFUSED");
  });

  test("403 or 401 alone proves nothing (an upgrade that changed the RBAC, an authorizer not ready)", () => {
    expect(decide({ read: readFailed("HTTP 403: forbidden") }).gone).toBe(false);
    expect(decide({ read: readFailed("HTTP 401: Unauthorized") }).gone).toBe(false);
  });

  test("the API server was down all along: no read, no watch listing", () => {
    expect(decide({ read: readFailed("timeout after 5000 ms"), seen: undefined, everPresent: true })).toMatchObject({ gone: false, evidence: "none" });
    expect(decide({ read: undefined, seen: undefined }).gone).toBe(false);
  });

  test("the newest look wins: a read that finds the name present again (a new release) beats an older deletion", () => {
    expect(decide({ read: readOk(present()), seen: { look: absent, sinceMs: now - 10 } }).gone).toBe(false);
    expect(decide({ read: readOk(absent), seen: { look: present(), sinceMs: now - 10 } }).gone).toBe(true);
  });

  test("a deletion seen long ago (helm uninstall --cascade orphan) is no proof once the read fails", () => {
    const d = decide({ read: readFailed("HTTP 403"), seen: { look: absent, sinceMs: now - ownerProofMaxAgeMs - 1 } });
    expect(d.gone).toBe(false);
    expect(d.reason).toContain("too long ago");
  });

  test("a DaemonSet never seen present (wrong --daemonset or namespace) never counts as gone", () => {
    const d = decide({ everPresent: false, read: readOk(absent), seen: { look: absent, sinceMs: now - 10 } });
    expect(d).toMatchObject({ gone: false, evidence: "none" });
    expect(d.reason).toContain("check --daemonset");
  });

  test("not configured: never", () => {
    expect(decide({ daemonset: undefined, read: readOk(absent) }).gone).toBe(false);
  });
});

describe("ownerReadOf", () => {
  const notFound = { kind: "Status", apiVersion: "v1", status: "Failure", message: "daemonsets.apps \"petrel-node\" not found", reason: "NotFound", details: { name: "petrel-node", group: "apps", kind: "daemonsets" }, code: 404 };

  test("200 with the DaemonSet: present, deleting when it has a deletionTimestamp", () => {
    expect(ownerReadOf("petrel-node", 200, { kind: "DaemonSet", metadata: { uid: "u", generation: 3 } })).toEqual({ ok: true, look: { kind: "present", uid: "u", generation: 3, deleting: false } });
    expect(ownerReadOf("petrel-node", 200, { kind: "DaemonSet", metadata: { uid: "u", generation: 3, deletionTimestamp: "2026-01-01T00:00:00Z" } })).toMatchObject({ ok: true, look: { deleting: true } });
  });

  test("404 is absent only with the API's NotFound Status naming this DaemonSet", () => {
    expect(ownerReadOf("petrel-node", 404, notFound)).toEqual({ ok: true, look: { kind: "absent" } });
    expect(ownerReadOf("petrel-node", 404, "404 page not found")).toEqual({ ok: false, error: "HTTP 404: 404 page not found" });
    expect(ownerReadOf("petrel-node", 404, { ...notFound, details: { ...notFound.details, name: "other" } }).ok).toBe(false);
    expect(ownerReadOf("petrel-node", 404, { ...notFound, details: { ...notFound.details, kind: "deployments" } }).ok).toBe(false);
  });

  test("everything else is a failed read that says what the API said", () => {
    expect(ownerReadOf("petrel-node", 403, { kind: "Status", reason: "Forbidden", message: "forbidden: no" })).toEqual({ ok: false, error: "HTTP 403: forbidden: no" });
    expect(ownerReadOf("petrel-node", 500, undefined)).toEqual({ ok: false, error: "HTTP 500" });
    expect(ownerReadOf("petrel-node", 200, { kind: "Status" }).ok).toBe(false);
  });

  test("lookOf tolerates missing metadata", () => {
    expect(lookOf({})).toEqual({ kind: "present", uid: "", generation: undefined, deleting: false });
  });
});
