// A small CRI client (the kubelet's side of the Container Runtime Interface) for the test node's
// containerd, over its unix socket with @grpc/grpc-js. KubeletNode uses it where crictl would be
// used on a real node: to take pod sandboxes down the way the kubelet does (StopPodSandbox runs
// the CNI DEL and removes the pod's network namespace; RemovePodSandbox deletes the rest), and to
// list what runs. The API definition is k8s.io/cri-api's api.proto of the pinned Kubernetes
// release, from the Go module cache (go-modules.ts), never a copy.
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { loadSync, type MethodDefinition, type PackageDefinition } from "@grpc/proto-loader";
import { join } from "node:path";
import { goModuleDir, stagingVersion } from "./go-modules.ts";

export interface CriPodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  /** "SANDBOX_READY" or "SANDBOX_NOTREADY". */
  state: string;
  labels: Record<string, string>;
}

export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number } | null;
  /** "CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED" or "CONTAINER_UNKNOWN". */
  state: string;
  labels: Record<string, string>;
}

type Method = MethodDefinition<object, object>;

let definition: PackageDefinition | undefined;

function criDefinition(): PackageDefinition {
  if (definition === undefined) {
    const dir = join(goModuleDir("k8s.io/cri-api", stagingVersion()), "pkg", "apis", "runtime", "v1");
    definition = loadSync(join(dir, "api.proto"), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  }
  return definition;
}

export class CriClient {
  readonly #client: Client;
  readonly #methods: Record<string, Method>;

  /** `socket`: the path of containerd's gRPC socket. */
  constructor(socket: string) {
    const service = criDefinition()["runtime.v1.RuntimeService"];
    if (service === undefined || typeof service !== "object" || !("ListPodSandbox" in service)) {
      throw new Error("k8s.io/cri-api's api.proto defines no runtime.v1.RuntimeService");
    }
    this.#methods = service as Record<string, Method>;
    this.#client = new Client(`unix://${socket}`, credentials.createInsecure());
  }

  call(name: string, request: Record<string, unknown>, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const m = this.#methods[name];
    if (m === undefined) return Promise.reject(new Error(`the CRI RuntimeService has no ${name} method`));
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new Metadata(),
        { deadline: new Date(Date.now() + timeoutMs) }, (err, value) => (err ? reject(new Error(`CRI ${name}: ${err.message}`)) : resolve(value as Record<string, unknown>)));
    });
  }

  async listPodSandboxes(): Promise<CriPodSandbox[]> {
    const r = await this.call("ListPodSandbox", {});
    return (r.items ?? []) as CriPodSandbox[];
  }

  async listContainers(): Promise<CriContainer[]> {
    const r = await this.call("ListContainers", {});
    return (r.containers ?? []) as CriContainer[];
  }

  /** The sandbox's network namespace path as containerd reports it (verbose status), if any. */
  async sandboxNetns(id: string): Promise<string | undefined> {
    const r = await this.call("PodSandboxStatus", { podSandboxId: id, verbose: true });
    const info = (r.info ?? {}) as Record<string, string>;
    const parsed = info.info === undefined ? undefined : (JSON.parse(info.info) as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } });
    return parsed?.runtimeSpec?.linux?.namespaces?.find((n) => n.type === "network")?.path;
  }

  /** StopPodSandbox (kills its containers, CNI DEL, removes its netns), then RemovePodSandbox. */
  async removePodSandbox(id: string): Promise<void> {
    await this.call("StopPodSandbox", { podSandboxId: id });
    await this.call("RemovePodSandbox", { podSandboxId: id });
  }

  close(): void {
    this.#client.close();
  }
}
