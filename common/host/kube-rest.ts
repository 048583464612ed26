/**
 * A small Kubernetes REST client for the node agent: JSON requests and watch streams over one
 * keep-alive HTTPS agent, with the credentials of a kubeconfig (a bearer token, a token file, or
 * a client certificate) or of the pod's service account.
 *
 * Why not @kubernetes/client-node here (the controller and petrelctl use it): the agent must stay
 * under 100 MiB RSS on every node, and importing client-node's KubeConfig and Watch alone took a
 * bundled Node 24 process from 43 to 90 MiB (measured; its generated API and model classes are
 * loaded whole, plus undici's WebAssembly parser). The agent needs four calls (list, watch, get,
 * merge-patch) and no kubeconfig auth plugins: it runs in a pod, on its service account.
 */
import { readFileSync, statSync } from "node:fs";
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import { request as httpRequest } from "node:http";
import { dirname, isAbsolute, join } from "node:path";
import { createInterface } from "node:readline";
import { parse as parseYaml } from "yaml";
import { InvalidInputError, TransientError, errorMessage } from "../errors.ts";

export interface KubeRestConfig {
  readonly server: URL;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  /** Read again whenever it changes (projected service-account tokens are rotated). */
  readonly tokenFile?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

interface KubeconfigDoc {
  "current-context"?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

function fileOrData(doc: Record<string, unknown> | undefined, base: string, fileKey: string, dataKey: string): Buffer | undefined {
  const data = doc?.[dataKey];
  if (typeof data === "string" && data !== "") return Buffer.from(data, "base64");
  const file = doc?.[fileKey];
  if (typeof file === "string" && file !== "") return readFileSync(isAbsolute(file) ? file : join(base, file));
  return undefined;
}

/** The REST config of a kubeconfig file (its current context). */
export function restConfigFromKubeconfig(path: string): KubeRestConfig {
  const doc = parseYaml(readFileSync(path, "utf8")) as KubeconfigDoc | null;
  const base = dirname(path);
  const ctxName = doc?.["current-context"];
  const ctx = doc?.contexts?.find((c) => c.name === ctxName)?.context;
  if (ctx === undefined) throw new Error(`no current context ${ctxName === undefined ? "" : `"${ctxName}" `}in ${path}`);
  const cluster = doc?.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = doc?.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const server = cluster?.["server"];
  if (typeof server !== "string") throw new Error(`the current context's cluster in ${path} has no server`);
  if (user["exec"] !== undefined || user["auth-provider"] !== undefined) {
    throw new Error(`the kubeconfig user of ${path} uses an exec or auth-provider plugin, which petrel-agent does not run: give it a token or a client certificate`);
  }
  const tokenFile = typeof user["tokenFile"] === "string" ? (isAbsolute(user["tokenFile"]) ? user["tokenFile"] : join(base, user["tokenFile"])) : undefined;
  const ca = fileOrData(cluster, base, "certificate-authority", "certificate-authority-data");
  const cert = fileOrData(user, base, "client-certificate", "client-certificate-data");
  const key = fileOrData(user, base, "client-key", "client-key-data");
  return {
    server: new URL(server),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(typeof user["token"] === "string" ? { token: user["token"] } : {}),
    ...(tokenFile === undefined ? {} : { tokenFile }),
    ...(cluster?.["insecure-skip-tls-verify"] === true ? { insecureSkipTlsVerify: true } : {}),
  };
}

/**
 * Like every Petrel program (common/host/kube-config.ts): the --kubeconfig flag, else $KUBECONFIG,
 * else the pod's service account.
 */
export function loadKubeRestConfig(kubeconfigFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeRestConfig {
  try {
    if (kubeconfigFlag !== undefined && kubeconfigFlag !== "") return restConfigFromKubeconfig(kubeconfigFlag);
    const fromEnv = env.KUBECONFIG?.split(":")[0];
    if (fromEnv !== undefined && fromEnv !== "") return restConfigFromKubeconfig(fromEnv);
    const host = env.KUBERNETES_SERVICE_HOST;
    if (host !== undefined && host !== "") {
      const port = env.KUBERNETES_SERVICE_PORT ?? "443";
      return {
        server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
        ca: readFileSync(join(serviceAccountDir, "ca.crt")),
        tokenFile: join(serviceAccountDir, "token"),
      };
    }
    throw new Error("no kubeconfig");
  } catch (err) {
    throw new InvalidInputError("--kubeconfig", `cannot load a kubeconfig (${errorMessage(err)}): pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a service account`, { cause: err });
  }
}

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface RestRequest {
  readonly method?: "GET" | "PATCH" | "POST" | "DELETE" | "PUT";
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
}

/** A watch event as the API server streams it. */
export interface WatchEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: Record<string, unknown>;
}

export interface WatchStream {
  /** Ends the stream; `done` is called once with no error. */
  abort(): void;
}

export class KubeRest {
  readonly config: KubeRestConfig;
  readonly #agent: Agent;
  #token: { value: string; mtimeMs: number } | undefined;

  constructor(config: KubeRestConfig) {
    this.config = config;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ...(config.ca === undefined ? {} : { ca: config.ca }),
      ...(config.cert === undefined ? {} : { cert: config.cert }),
      ...(config.key === undefined ? {} : { key: config.key }),
      rejectUnauthorized: config.insecureSkipTlsVerify !== true,
    });
  }

  get server(): string {
    return this.config.server.origin;
  }

  #bearer(): string | undefined {
    const file = this.config.tokenFile;
    if (file === undefined) return this.config.token;
    try {
      const m = statSync(file).mtimeMs;
      if (this.#token?.mtimeMs !== m) this.#token = { value: readFileSync(file, "utf8").trim(), mtimeMs: m };
    } catch {
      // Keep the last token: the file is replaced by a rename while the kubelet rotates it.
    }
    return this.#token?.value ?? this.config.token;
  }

  #options(method: string, path: string, query: Readonly<Record<string, string | undefined>> | undefined, headers: Record<string, string>): RequestOptions & { protocol: string } {
    const url = new URL(path, this.config.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const token = this.#bearer();
    return {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method,
      agent: url.protocol === "https:" ? this.#agent : undefined,
      headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
    };
  }

  #send(o: RequestOptions & { protocol: string }) {
    return (o.protocol === "http:" ? httpRequest : httpsRequest)(o);
  }

  /** One request; the body is parsed JSON (text when it is not JSON). Transport failures throw TransientError. */
  request(path: string, r: RestRequest = {}): Promise<RestResponse> {
    const method = r.method ?? "GET";
    const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
    const o = this.#options(method, path, r.query, {
      Accept: r.accept ?? "application/json",
      ...(body === undefined ? {} : { "Content-Type": r.contentType ?? "application/json", "Content-Length": String(body.length) }),
    });
    return new Promise((resolve, reject) => {
      const req = this.#send(o);
      req.setTimeout(30_000, () => req.destroy(new Error("no answer within 30 s")));
      req.on("error", (err) => reject(new TransientError(`${method} ${this.server}${path}: ${errorMessage(err)}`, { cause: err })));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", (err) => reject(new TransientError(`${method} ${this.server}${path}: ${errorMessage(err)}`, { cause: err })));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.end(body);
    });
  }

  /**
   * A watch: one event per line until the server ends the stream (it does after `timeoutSeconds`),
   * the connection breaks, nothing arrives for `idleMs`, or abort(). `done` is called once.
   */
  watch(path: string, query: Readonly<Record<string, string | undefined>>, onEvent: (e: WatchEvent) => void, done: (err?: Error & { status?: number }) => void, options: { accept?: string; idleMs?: number } = {}): WatchStream {
    let finished = false;
    const finish = (err?: Error & { status?: number }) => {
      if (finished) return;
      finished = true;
      done(err);
    };
    const o = this.#options("GET", path, { ...query, watch: "true" }, { Accept: options.accept ?? "application/json" });
    const req = this.#send(o);
    req.setTimeout(options.idleMs ?? 90_000, () => req.destroy(new Error(`no event or bookmark for ${(options.idleMs ?? 90_000) / 1000} s`)));
    req.on("error", (err) => finish(new TransientError(`watch ${path}: ${errorMessage(err)}`, { cause: err })));
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => finish(Object.assign(new TransientError(`watch ${path}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`), { status: res.statusCode })));
        return;
      }
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      // readline re-emits the stream's errors (ECONNRESET when the API server goes away): an
      // unhandled one would end the process.
      lines.on("error", (err) => finish(new TransientError(`watch ${path}: ${errorMessage(err)}`, { cause: err })));
      lines.on("line", (line) => {
        if (finished || line.trim() === "") return;
        try {
          onEvent(JSON.parse(line) as WatchEvent);
        } catch (err) {
          req.destroy(new Error(`unreadable watch event: ${errorMessage(err)}`));
        }
      });
      res.on("error", (err) => finish(new TransientError(`watch ${path}: ${errorMessage(err)}`, { cause: err })));
      res.on("end", () => finish());
      res.on("close", () => finish());
    });
    req.end();
    return {
      abort: () => {
        finish();
        req.destroy();
      },
    };
  }

  close(): void {
    this.#agent.destroy();
  }
}
