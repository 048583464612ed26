import type { KubeRest, RestRequest, RestResponse, WatchEvent } from "./kube-rest.ts";
import { ResourceWatch, type KubeObject } from "./resource-watch.ts";
import type { Logger } from "../logger.ts";

const quiet: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, child: () => quiet };

/** A scripted API server: list answers in order, and watch streams the test drives. */
class FakeRest {
  lists: { query: RestRequest["query"]; accept: string | undefined }[] = [];
  listAnswers: RestResponse[] = [];
  watches: { query: Record<string, string | undefined>; onEvent: (e: WatchEvent) => void; done: (err?: Error & { status?: number }) => void; aborted: boolean; accept: string | undefined }[] = [];

  async request(_path: string, r: RestRequest = {}): Promise<RestResponse> {
    this.lists.push({ query: r.query, accept: r.accept });
    const a = this.listAnswers.shift();
    if (a === undefined) throw new Error("no list answer scripted");
    return a;
  }

  watch(_path: string, query: Record<string, string | undefined>, onEvent: (e: WatchEvent) => void, done: (err?: Error & { status?: number }) => void, options: { accept?: string } = {}) {
    const w = { query, onEvent, done, aborted: false, accept: options.accept };
    this.watches.push(w);
    return { abort: () => { w.aborted = true; done(); } };
  }
}

const obj = (name: string, rv: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, resourceVersion: rv, labels } });
const list = (rv: string, items: KubeObject[], cont?: string): RestResponse => ({ status: 200, body: { metadata: { resourceVersion: rv, ...(cont === undefined ? {} : { continue: cont }) }, items } });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("ResourceWatch", () => {
  it("lists in pages, keeps what transform gives, then watches from the list's version with bookmarks", async () => {
    const rest = new FakeRest();
    rest.listAnswers.push(list("10", [obj("a", "5", { node: "n1" })], "tok"), list("11", [obj("b", "6", { node: "n2" })]));
    const events: string[] = [];
    const w = new ResourceWatch<{ name: string; node: string }>({
      rest: rest as unknown as KubeRest, path: "/apis/x/v1/things", metadataOnly: true, log: quiet,
      transform: (o) => ({ name: o.metadata?.name ?? "", node: o.metadata?.labels?.["node"] ?? "" }),
      fingerprint: (v) => v.node,
      onEvent: (t, v) => events.push(`${t} ${v.name}`),
    });
    await w.start();
    expect(w.synced).toBe(true);
    expect(rest.lists.map((l) => [l.query?.["continue"], l.accept])).toEqual([
      [undefined, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"],
      ["tok", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"],
    ]);
    expect(w.list()).toEqual([{ name: "a", node: "n1" }, { name: "b", node: "n2" }]);
    expect(rest.watches[0]?.query).toMatchObject({ resourceVersion: "10", allowWatchBookmarks: "true" });
    expect(rest.watches[0]?.accept).toBe("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
    // An update that changes nothing the user keeps is not reported; a bookmark moves the version.
    rest.watches[0]?.onEvent({ type: "MODIFIED", object: obj("a", "12", { node: "n1" }) });
    rest.watches[0]?.onEvent({ type: "MODIFIED", object: obj("b", "13", { node: "n3" }) });
    rest.watches[0]?.onEvent({ type: "BOOKMARK", object: obj("", "20") });
    rest.watches[0]?.onEvent({ type: "DELETED", object: obj("a", "21") });
    expect(events).toEqual(["add a", "add b", "update b", "delete a"]);
    // The server ends the watch: it goes on from the last version seen, without a list.
    rest.watches[0]?.done();
    expect(rest.watches[1]?.query).toMatchObject({ resourceVersion: "21" });
    expect(rest.lists).toHaveLength(2);
    w.stop();
  });

  it("lists again after 410 Gone and reports what changed meanwhile", async () => {
    const rest = new FakeRest();
    rest.listAnswers.push(list("10", [obj("a", "5"), obj("b", "6")]), list("30", [obj("b", "6"), obj("c", "25")]));
    const events: string[] = [];
    const w = new ResourceWatch<KubeObject>({ rest: rest as unknown as KubeRest, path: "/x", log: quiet, onEvent: (t, v) => events.push(`${t} ${v.metadata?.name}`) });
    await w.start();
    rest.watches[0]?.onEvent({ type: "ERROR", object: { code: 410 } as unknown as Record<string, unknown> });
    await tick();
    await tick();
    expect(events).toEqual(["add a", "add b", "add c", "delete a"]);
    expect(rest.watches[1]?.query).toMatchObject({ resourceVersion: "30" });
    w.stop();
  });

  it("is not synced until a list succeeds, and retries", async () => {
    jest.useFakeTimers();
    try {
      const rest = new FakeRest();
      rest.listAnswers.push({ status: 503, body: { message: "etcd" } }, list("1", []));
      const w = new ResourceWatch<KubeObject>({ rest: rest as unknown as KubeRest, path: "/x", log: quiet });
      await w.start();
      expect(w.synced).toBe(false);
      await jest.advanceTimersByTimeAsync(600);
      expect(w.synced).toBe(true);
      w.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
