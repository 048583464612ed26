/**
 * API clients for petrelctl that work on both of its runtimes. On Node.js (the images' bundle)
 * they are @kubernetes/client-node's own. In the Bun-compiled executable, client-node's requests
 * go through `fetch` with an undici `dispatcher` carrying the cluster's CA and client
 * certificate, which Bun's fetch ignores: every request then fails with "unable to verify the
 * first certificate" (seen with Bun 1.4.5). There the same generated clients get an HTTP library
 * that passes the kubeconfig's TLS material as Bun's `tls` fetch option instead; authentication
 * headers still come from the kubeconfig (tokens, exec plugins) per request.
 */
import type { RequestOptions } from "node:https";
import {
  createConfiguration, ResponseContext, ServerConfiguration, wrapHttpLibrary,
  type Configuration, type KubeConfig, type RequestContext,
} from "@kubernetes/client-node";

export const onBun = (): boolean => (process.versions as Record<string, string | undefined>).bun !== undefined;

interface BunTls {
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  serverName?: string;
}

async function tlsOf(kc: KubeConfig): Promise<BunTls> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls: BunTls = {};
  if (opts.ca !== undefined) tls.ca = opts.ca;
  if (opts.cert !== undefined) tls.cert = opts.cert;
  if (opts.key !== undefined) tls.key = opts.key;
  if (opts.passphrase !== undefined) tls.passphrase = opts.passphrase;
  if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
  if (opts.servername !== undefined) tls.serverName = opts.servername;
  return tls;
}

function bunHttpLibrary(kc: KubeConfig) {
  let tls: Promise<BunTls> | undefined;
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      tls ??= tlsOf(kc);
      const body = request.getBody();
      const init = {
        method: request.getHttpMethod().toString(),
        headers: request.getHeaders(),
        ...(body === undefined ? {} : { body: body as string }),
        ...(request.getSignal() === undefined ? {} : { signal: request.getSignal() }),
        tls: await tls,
      };
      const resp = await fetch(request.getUrl(), init as RequestInit);
      const headers: Record<string, string> = {};
      resp.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return new ResponseContext(resp.status, headers, {
        text: () => resp.text(),
        binary: async () => Buffer.from(await resp.arrayBuffer()),
        stream: () => resp.body,
      });
    },
  });
}

/** `kc.makeApiClient(Api)`, also in the Bun-compiled executable. */
export function makeApiClient<T>(kc: KubeConfig, Api: new (config: Configuration) => T): T {
  if (!onBun()) return kc.makeApiClient(Api as never) as T;
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("the kubeconfig has no current cluster");
  return new Api(createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: bunHttpLibrary(kc),
  }));
}
