import type { KubeRest, RestRequest, RestResponse, WatchEvent } from "./kube-rest.ts";
import { OwnerDaemonSet } from "./owner-daemonset.ts";
import type { Logger } from "../logger.ts";

const quiet: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, child: () => quiet };
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A scripted API server: the list, the watch the test drives, and the GET at SIGTERM. */
class FakeRest {
  requests: { path: string; query: RestRequest["query"] }[] = [];
  listAnswer: RestResponse = { status: 200, body: { metadata: { resourceVersion: "1" }, items: [] } };
  getAnswer: () => Promise<RestResponse> = () => Promise.reject(new Error("no GET answer scripted"));
  watchers: ((e: WatchEvent) => void)[] = [];

  async request(path: string, r: RestRequest = {}): Promise<RestResponse> {
    this.requests.push({ path, query: r.query });
    return path.endsWith("/daemonsets") ? this.listAnswer : this.getAnswer();
  }

  watch(_path: string, _query: Record<string, string | undefined>, onEvent: (e: WatchEvent) => void, done: () => void) {
    this.watchers.push(onEvent);
    return { abort: () => done() };
  }
}

const ds = (extra: Record<string, unknown> = {}) => ({ kind: "DaemonSet", metadata: { name: "petrel-node", namespace: "petrel-system", uid: "u1", generation: 1, resourceVersion: "5", ...extra } });
const forbidden: RestResponse = { status: 403, body: { kind: "Status", reason: "Forbidden", message: "daemonsets.apps \"petrel-node\" is forbidden" } };

async function started(items: unknown[], now: () => number = Date.now) {
  const rest = new FakeRest();
  rest.listAnswer = { status: 200, body: { metadata: { resourceVersion: "5" }, items } };
  const owner = new OwnerDaemonSet(rest as unknown as KubeRest, "petrel-system", "petrel-node", quiet, now);
  owner.start();
  await tick();
  return { rest, owner };
}

test("watches its DaemonSet by name and reads it by name", async () => {
  const { rest, owner } = await started([ds()]);
  rest.getAnswer = async () => ({ status: 200, body: ds({ generation: 2 }) });
  expect(owner.decide(await owner.read())).toMatchObject({ gone: false, evidence: "read" });
  expect(rest.requests.map((r) => [r.path, r.query?.["fieldSelector"]])).toEqual([
    ["/apis/apps/v1/namespaces/petrel-system/daemonsets", "metadata.name=petrel-node"],
    ["/apis/apps/v1/namespaces/petrel-system/daemonsets/petrel-node", undefined],
  ]);
  owner.stop();
});

test("helm uninstall: the watch sees DELETED, the read at SIGTERM gets 403, the release is gone", async () => {
  let now = 1000;
  const { rest, owner } = await started([ds()], () => now);
  rest.watchers[0]?.({ type: "DELETED", object: ds({ resourceVersion: "6" }) });
  now += 250;
  rest.getAnswer = async () => forbidden;
  const d = owner.decide(await owner.read());
  expect(d).toMatchObject({ gone: true, evidence: "watch" });
  expect(d.reason).toContain("250 ms ago");
  owner.stop();
});

test("a rolling update: the watch sees a new generation, the read too; the API down: the last look counts", async () => {
  const { rest, owner } = await started([ds()]);
  rest.watchers[0]?.({ type: "MODIFIED", object: ds({ generation: 2, resourceVersion: "7" }) });
  rest.getAnswer = async () => ({ status: 200, body: ds({ generation: 2 }) });
  expect(owner.decide(await owner.read()).gone).toBe(false);
  rest.getAnswer = () => Promise.reject(new Error("connect ECONNREFUSED"));
  expect(owner.decide(await owner.read())).toMatchObject({ gone: false, evidence: "watch" });
  owner.stop();
});

test("the read gives up after 5 s without an answer, and proves nothing", async () => {
  const { rest, owner } = await started([ds()]);
  jest.useFakeTimers();
  try {
    rest.getAnswer = () => new Promise(() => {});
    const read = owner.read();
    jest.advanceTimersByTime(5000);
    expect(await read).toEqual({ ok: false, error: "no answer within 5000 ms" });
  } finally {
    jest.useRealTimers();
  }
  owner.stop();
});

test("a DaemonSet that the list never shows (a wrong name) is never taken as gone", async () => {
  const { rest, owner } = await started([]);
  rest.getAnswer = async () => ({ status: 404, body: { kind: "Status", reason: "NotFound", details: { name: "petrel-node", group: "apps", kind: "daemonsets" } } });
  expect(owner.decide(await owner.read())).toMatchObject({ gone: false, evidence: "none" });
  owner.stop();
});
