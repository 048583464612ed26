/**
 * A watch cache of one resource (list, then watch; re-list on 410 Gone; reconnect with backoff
 * after the API server goes away), on @kubernetes/client-node's informer. The informer stops on
 * errors other than 410 and timeouts, so this restarts it; `synced` is true once the first list
 * has completed.
 */
import { makeInformer, type KubeConfig, type KubernetesObject, type KubernetesListObject } from "@kubernetes/client-node";
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
}

export class WatchCache<T extends KubernetesObject> {
  readonly #informer: ReturnType<typeof makeInformer<T>>;
  readonly #log: Logger;
  #synced = false;
  #listed = false;
  #stopped = false;
  #backoffMs = 0;
  #restart: ReturnType<typeof setTimeout> | undefined;
  /** Times the watch had to be restarted after an error (for metrics). */
  restarts = 0;

  constructor(options: WatchCacheOptions<T>) {
    this.#log = options.log.child({ resource: options.path });
    // The informer's start() resolves even when its list fails (it reports that through "error"),
    // so the cache counts as synced only after a list has actually succeeded.
    const list = async () => {
      const result = await options.list();
      this.#listed = true;
      return result;
    };
    this.#informer = makeInformer<T>(options.kc, options.path, list, options.labelSelector);
    const seen = new Map<string, string>();
    const keyOf = (obj: T) => `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
    const fingerprint = options.fingerprint;
    this.#informer.on("add", (obj: T) => {
      this.#backoffMs = 0;
      if (fingerprint !== undefined) seen.set(keyOf(obj), fingerprint(obj));
      options.onChange();
    });
    this.#informer.on("update", (obj: T) => {
      this.#backoffMs = 0;
      if (fingerprint !== undefined) {
        const fp = fingerprint(obj);
        if (seen.get(keyOf(obj)) === fp) return;
        seen.set(keyOf(obj), fp);
      }
      options.onChange();
    });
    this.#informer.on("delete", (obj: T) => {
      this.#backoffMs = 0;
      seen.delete(keyOf(obj));
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

  /** Starts the cache; resolves after the first list (or rejects when it fails). */
  async start(onChange: () => void = () => {}): Promise<void> {
    await this.#start(onChange);
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
