/**
 * A list-then-watch cache of one resource on KubeRest (kube-rest.ts), as client-go's reflector
 * does it: list (in pages), then watch from the list's resourceVersion with bookmarks; on a
 * break, watch again from the last version seen; on 410 Gone (the version is too old), list
 * again and report what changed meanwhile. Only `transform`'s result of each object is kept, so a
 * cache holds what its user needs (PartialObjectMetadata when `metadataOnly`), not whole objects.
 * `synced` is true once a list has succeeded.
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { KubeRest, WatchStream } from "./kube-rest.ts";

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; generation?: number };
  [key: string]: unknown;
}

export interface ResourceWatchOptions<T> {
  readonly rest: KubeRest;
  /** e.g. /api/v1/nodes or /apis/petrel.dev/v1alpha1/ipamblocks */
  readonly path: string;
  readonly labelSelector?: string;
  /** e.g. spec.nodeName=n1 (what a kubelet watches of the Pods) */
  readonly fieldSelector?: string;
  /** Ask for PartialObjectMetadata only (names, labels, versions; no spec or status). */
  readonly metadataOnly?: boolean;
  readonly log: Logger;
  /** What is kept of an object (default: the object). */
  readonly transform?: (obj: KubeObject) => T;
  /** What of an object matters: an update with an unchanged fingerprint is not reported. */
  readonly fingerprint?: (obj: T) => string;
  /** Every reported add, update and delete. */
  readonly onEvent?: (type: "add" | "update" | "delete", obj: T) => void;
  /** After any reported change and after each successful list. */
  readonly onChange?: () => void;
  readonly pageSize?: number;
}

const metadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const metadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

interface Entry<T> {
  value: T;
  fingerprint: string;
}

export class ResourceWatch<T> {
  readonly #o: ResourceWatchOptions<T>;
  readonly #log: Logger;
  readonly #items = new Map<string, Entry<T>>();
  #resourceVersion = "";
  #synced = false;
  #stopped = false;
  #stream: WatchStream | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #backoffMs = 0;
  /** Times the watch had to be restarted after an error (for metrics). */
  restarts = 0;

  constructor(options: ResourceWatchOptions<T>) {
    this.#o = options;
    this.#log = options.log.child({ resource: options.path });
  }

  get synced(): boolean {
    return this.#synced;
  }

  list(): T[] {
    return [...this.#items.values()].map((e) => e.value);
  }

  /** Starts listing and watching; resolves after the first list attempt (the cache keeps retrying). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#relist();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#stream?.abort();
  }

  #keyOf(obj: KubeObject): string {
    return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
  }

  #transform(obj: KubeObject): T {
    return this.#o.transform === undefined ? (obj as unknown as T) : this.#o.transform(obj);
  }

  #fp(value: T, obj: KubeObject): string {
    return this.#o.fingerprint === undefined ? (obj.metadata?.resourceVersion ?? "") : this.#o.fingerprint(value);
  }

  /** Applies one object; true when a change was reported. */
  #upsert(obj: KubeObject): boolean {
    const key = this.#keyOf(obj);
    const value = this.#transform(obj);
    const fingerprint = this.#fp(value, obj);
    const had = this.#items.get(key);
    this.#items.set(key, { value, fingerprint });
    if (had !== undefined && had.fingerprint === fingerprint) return false;
    this.#o.onEvent?.(had === undefined ? "add" : "update", value);
    return true;
  }

  #delete(key: string): boolean {
    const had = this.#items.get(key);
    if (had === undefined) return false;
    this.#items.delete(key);
    this.#o.onEvent?.("delete", had.value);
    return true;
  }

  #retry(what: string, err: unknown): void {
    if (this.#stopped) return;
    this.restarts++;
    this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 500), 10_000);
    this.#log.warn(`${what} failed; retrying`, { error: errorMessage(err), retryInMs: this.#backoffMs });
    this.#timer = setTimeout(() => void (this.#resourceVersion === "" ? this.#relist() : this.#watch()), this.#backoffMs);
  }

  async #relist(): Promise<void> {
    if (this.#stopped) return;
    const seen = new Set<string>();
    let version = "";
    let cont: string | undefined;
    try {
      for (;;) {
        const r = await this.#o.rest.request(this.#o.path, {
          query: { limit: String(this.#o.pageSize ?? 500), continue: cont, labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector },
          accept: this.#o.metadataOnly === true ? metadataListAccept : "application/json",
        });
        if (r.status === 410 && cont !== undefined) {
          // The continue token expired mid-list: start the list again.
          seen.clear();
          version = "";
          cont = undefined;
          continue;
        }
        if (r.status !== 200) throw new Error(`list ${this.#o.path}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
        const list = r.body as { items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string } };
        for (const obj of list.items ?? []) {
          seen.add(this.#keyOf(obj));
          this.#upsert(obj);
        }
        if (version === "") version = list.metadata?.resourceVersion ?? "";
        cont = list.metadata?.continue === "" ? undefined : list.metadata?.continue;
        if (cont === undefined) break;
      }
    } catch (err) {
      this.#resourceVersion = "";
      this.#retry("list", err);
      return;
    }
    for (const key of [...this.#items.keys()]) if (!seen.has(key)) this.#delete(key);
    this.#resourceVersion = version;
    if (!this.#synced) this.#log.info("cache synced", { objects: this.#items.size });
    this.#synced = true;
    this.#backoffMs = 0;
    this.#o.onChange?.();
    this.#watch();
  }

  #watch(): void {
    if (this.#stopped) return;
    this.#stream = this.#o.rest.watch(this.#o.path, {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(240 + Math.floor(Math.random() * 120)),
      labelSelector: this.#o.labelSelector,
      fieldSelector: this.#o.fieldSelector,
    }, (e) => {
      const obj = e.object as KubeObject;
      if (e.type === "ERROR") {
        const code = (obj as { code?: number }).code;
        if (code === 410) {
          // Too old a version: list again (and report what changed meanwhile).
          this.#resourceVersion = "";
          this.#stream?.abort();
        }
        return;
      }
      const rv = obj.metadata?.resourceVersion;
      if (rv !== undefined && rv !== "") this.#resourceVersion = rv;
      if (e.type === "BOOKMARK") return;
      this.#backoffMs = 0;
      const changed = e.type === "DELETED" ? this.#delete(this.#keyOf(obj)) : this.#upsert(obj);
      if (changed) this.#o.onChange?.();
    }, (err) => {
      this.#stream = undefined;
      if (this.#stopped) return;
      if (err?.status === 410) this.#resourceVersion = "";
      if (err !== undefined) {
        this.#retry("watch", err);
      } else if (this.#resourceVersion === "") {
        void this.#relist();
      } else {
        this.#watch(); // the server ended the watch (timeoutSeconds): carry on from where it was
      }
    }, { accept: this.#o.metadataOnly === true ? metadataAccept : "application/json" });
  }
}
