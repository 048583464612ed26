/**
 * petrelctl's reads from the API server (it never writes): Petrel's objects through the custom
 * objects API, Pods through core/v1; lists are read in pages of 500 like kubectl does.
 */
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import type { IPAMBlock, IPPool, PetrelNode } from "../../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../../common/api/index.ts";
import { PetrelError } from "../../../common/errors.ts";
import { apiServerMessage } from "../../../common/kube-failure.ts";
import { makeApiClient } from "./api-client.ts";
import { explainApiFailure, type ApiFailure } from "../api-errors.ts";
import type { PodInfo } from "../check-model.ts";

const PAGE = 500;

/** The deepest useful text of a client error: fetch wraps ECONNREFUSED and TLS errors in `cause`. */
function clientErrorText(err: unknown): string {
  const texts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      texts.push(typeof code === "string" && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
      e = e.cause;
    } else {
      texts.push(String(e));
      break;
    }
  }
  return texts.filter((t) => t !== "").join(": ") || "unknown error";
}

export function failureOf(err: unknown): ApiFailure {
  if (err instanceof ApiException) return { status: err.code, message: apiServerMessage(err.body, 300) || err.message };
  return { status: undefined, message: clientErrorText(err) };
}

export function podInfo(p: V1Pod): PodInfo {
  const ips = p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP === undefined ? [] : [p.status.podIP]);
  return {
    namespace: p.metadata?.namespace ?? "",
    name: p.metadata?.name ?? "",
    node: p.spec?.nodeName,
    hostNetwork: p.spec?.hostNetwork === true,
    phase: p.status?.phase,
    ips,
    ...(p.metadata?.uid === undefined ? {} : { uid: p.metadata.uid }),
  };
}

export class KubeReader {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #server: string;

  constructor(kc: KubeConfig) {
    this.#custom = makeApiClient(kc, CustomObjectsApi);
    this.#core = makeApiClient(kc, CoreV1Api);
    this.#server = kc.getCurrentCluster()?.server ?? "(unknown)";
  }

  #fail(what: string, err: unknown): PetrelError {
    return new PetrelError("permanent", explainApiFailure(what, this.#server, failureOf(err)), { cause: err });
  }

  async #listCustom<T>(plural: string, what: string): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      let page: { items?: T[]; metadata?: { continue?: string } };
      try {
        page = (await this.#custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, limit: PAGE, ...(cont === undefined ? {} : { _continue: cont }) })) as typeof page;
      } catch (err) {
        throw this.#fail(`listing ${what}`, err);
      }
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  listPools(): Promise<IPPool[]> {
    return this.#listCustom<IPPool>(PLURALS.IPPool, "IPPools");
  }

  listBlocks(): Promise<IPAMBlock[]> {
    return this.#listCustom<IPAMBlock>(PLURALS.IPAMBlock, "IPAMBlocks");
  }

  listPetrelNodes(): Promise<PetrelNode[]> {
    return this.#listCustom<PetrelNode>(PLURALS.PetrelNode, "PetrelNodes");
  }

  /** undefined when there is no PetrelNode of that name (the CRD itself is installed). */
  async getPetrelNode(name: string): Promise<PetrelNode | undefined> {
    try {
      return (await this.#custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.PetrelNode, name })) as PetrelNode;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) {
        // Tell "no such node" from "no such API": list once (cheap with limit 1) to find out.
        try {
          await this.#custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.PetrelNode, limit: 1 });
        } catch (listErr) {
          throw this.#fail("listing PetrelNodes", listErr);
        }
        return undefined;
      }
      throw this.#fail(`reading PetrelNode ${name}`, err);
    }
  }

  async listPods(): Promise<PodInfo[]> {
    const pods: PodInfo[] = [];
    let cont: string | undefined;
    do {
      let page;
      try {
        page = await this.#core.listPodForAllNamespaces({ limit: PAGE, ...(cont === undefined ? {} : { _continue: cont }) });
      } catch (err) {
        throw this.#fail("listing Pods", err);
      }
      pods.push(...page.items.map(podInfo));
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return pods;
  }
}
