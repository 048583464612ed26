/**
 * A watch cache of one resource (list, then watch; re-list on 410 Gone; reconnect with backoff
 * after the API server goes away), on @kubernetes/client-node's informer. The informer stops on
 * errors other than 410 and timeouts, so this restarts it; `synced` is true once the first list
 * has completed.
 *
 * `metadataOnly` watches PartialObjectMetadata (what `kubectl get --show-kind -o name` needs, no
 * spec or status): the server sends, and the cache keeps, only names, labels and versions. With
 * 10,000 IPAMBlocks that is what an agent needs of the other nodes' blocks (their name is their
 * CIDR, a label their node).
 */
import {
  ListWatch, makeInformer, Watch, type Informer, type KubeConfig, type KubernetesObject, type KubernetesListObject, type ObjectCache,
} from "@kubernetes/client-node";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";

export interface WatchCacheOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** e.g. /api/v1/nodes or /apis/petrel.dev/v1alpha1/ipamblocks */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  readonly log: Logger;
  /** Called after every add, update or delete (and after a re-list). */
  readonly onChange: () => void;
  /**
   * What of an object matters to the caller: an update whose fingerprint is unchanged (for
   * example another node's status heartbeat) does not call onChange. Default: every update counts.
   */
  readonly fingerprint?: (obj: T) => string;
  /** Every add, update (after the fingerprint filter) and delete, with the object. */
  readonly onEvent?: (type: "add" | "update" | "delete", obj: T) => void;
  /** Watch and keep PartialObjectMetadata only (name, namespace, labels, resourceVersion). */
  readonly metadataOnly?: boolean;
}

const metadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

/** What a metadata-only cache keeps of each object. */
function slim<T extends KubernetesObject>(obj: T): T {
  const m = obj.metadata ?? {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: m.name,
      ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
      ...(m.labels === undefined ? {} : { labels: m.labels }),
      resourceVersion: m.resourceVersion,
    },
  } as T;
}

/**
 * client-node's Watch asking for PartialObjectMetadata: the Accept header is added where the
 * client adds authentication, so TLS, tokens and the shared connection pool stay client-node's.
 */
function metadataWatch(kc: KubeConfig): Watch {
  const config = {
    getCurrentCluster: () => kc.getCurrentCluster(),
    applySecurityAuthentication: async (ctx: { setHeaderParam(k: string, v: string): void }) => {
      await kc.applySecurityAuthentication(ctx as Parameters<KubeConfig["applySecurityAuthentication"]>[0]);
      ctx.setHeaderParam("Accept", metadataAccept);
    },
  };
  const inner = new Watch(config as unknown as KubeConfig);
  return {
    watch: (path: string, query: Record<string, string | number | boolean | undefined>, callback: (phase: string, obj: KubernetesObject, watchObj?: unknown) => void, done: (err: unknown) => void) =>
      inner.watch(path, query, (phase, obj: KubernetesObject, watchObj) => callback(phase, slim(obj), watchObj), done),
  } as unknown as Watch;
}

export class WatchCache<T extends KubernetesObject> {
  readonly #informer: Informer<T> & ObjectCache<T>;
  readonly #log: Logger;
  readonly #onChange: () => void;
  #synced = false;
  #listed = false;
  #stopped = false;
  #backoffMs = 0;
  #restart: ReturnType<typeof setTimeout> | undefined;
  /** Times the watch had to be restarted after an error (for metrics). */
  restarts = 0;

  constructor(options: WatchCacheOptions<T>) {
    this.#log = options.log.child({ resource: options.path });
    this.#onChange = options.onChange;
    // The informer's start() resolves even when its list fails (it reports that through "error"),
    // so the cache counts as synced only after a list has actually succeeded.
    const list = async () => {
      const result = await options.list();
      this.#listed = true;
      return result;
    };
    if (options.metadataOnly === true) {
      const slimList = async () => {
        const r = await list();
        return { ...r, items: r.items.map(slim) };
      };
      this.#informer = new ListWatch<T>(options.path, metadataWatch(options.kc), slimList, false, options.labelSelector);
    } else {
      this.#informer = makeInformer<T>(options.kc, options.path, list, options.labelSelector);
    }
    const seen = new Map<string, string>();
    const keyOf = (obj: T) => `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
    const fingerprint = options.fingerprint;
    this.#informer.on("add", (obj: T) => {
      this.#backoffMs = 0;
      if (fingerprint !== undefined) seen.set(keyOf(obj), fingerprint(obj));
      options.onEvent?.("add", obj);
      options.onChange();
    });
    this.#informer.on("update", (obj: T) => {
      this.#backoffMs = 0;
      if (fingerprint !== undefined) {
        const fp = fingerprint(obj);
        if (seen.get(keyOf(obj)) === fp) return;
        seen.set(keyOf(obj), fp);
      }
      options.onEvent?.("update", obj);
      options.onChange();
    });
    this.#informer.on("delete", (obj: T) => {
      this.#backoffMs = 0;
      seen.delete(keyOf(obj));
      options.onEvent?.("delete", obj);
      options.onChange();
    });
    this.#informer.on("error", (err?: unknown) => {
      if (this.#stopped) return;
      this.restarts++;
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 500), 10_000);
      this.#log.warn("watch failed; restarting", { error: errorMessage(err), retryInMs: this.#backoffMs });
      this.#restart = setTimeout(() => void this.#start(options.onChange), this.#backoffMs);
    });
  }

  /**
   * Starts the cache; resolves after the first list, or after a failed one (the cache then keeps
   * retrying). `onChange` (default: the options') is called once it has synced.
   */
  async start(onChange?: () => void): Promise<void> {
    await this.#start(onChange ?? this.#onChange);
  }

  async #start(onChange: () => void): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#informer.start();
      if (!this.#listed) return;
      if (!this.#synced) this.#log.info("cache synced", { objects: this.#informer.list().length });
      this.#synced = true;
      onChange();
    } catch (err) {
      // The informer reports list failures through its "error" callback too, which restarts it.
      this.#log.debug("start failed", { error: errorMessage(err) });
    }
  }

  get synced(): boolean {
    return this.#synced;
  }

  list(): readonly T[] {
    return this.#informer.list();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restart !== undefined) clearTimeout(this.#restart);
    await this.#informer.stop();
  }
}
