/**
 * The HTTP endpoints of a long-running program: /healthz (alive), /readyz (doing its job) and
 * /metrics (Prometheus text format). Each check returns undefined when fine, or the reason not.
 * A program may add read-only JSON views (the agent's /bgp/routes); those answer only clients on
 * the same host (loopback, or the address the client connected to), since the port is open to
 * scrapes from anywhere and a view can be large to make.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthChecks {
  readonly healthz: () => string | undefined;
  readonly readyz: () => string | undefined;
  /** Extra GET endpoints by path, answering JSON to local clients only. */
  readonly localViews?: Readonly<Record<string, () => Promise<unknown>>>;
}

/** A client on this host: loopback, or the very address it connected to (a host-network pod). */
export function isLocalClient(remote: string | undefined, local: string | undefined): boolean {
  if (remote === undefined) return false;
  const r = remote.replace(/^::ffff:/, "");
  return r === "::1" || r.startsWith("127.") || (local !== undefined && r === local.replace(/^::ffff:/, ""));
}

export async function startHealthServer(address: string, registry: Registry, checks: HealthChecks): Promise<Server> {
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon).replace(/^\[|\]$/g, "") : "0.0.0.0";
  const port = Number(address.slice(colon + 1));
  const views = checks.localViews ?? {};
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const reply = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    const view = Object.hasOwn(views, path) ? views[path] : undefined;
    if (path === "/healthz" || path === "/readyz") {
      const problem = path === "/healthz" ? checks.healthz() : checks.readyz();
      reply(problem === undefined ? 200 : 503, problem === undefined ? "ok\n" : `${problem}\n`);
    } else if (path === "/metrics") {
      registry.metrics().then((text) => reply(200, text, registry.contentType), (err: unknown) => reply(500, String(err)));
    } else if (view !== undefined) {
      if (!isLocalClient(req.socket.remoteAddress, req.socket.localAddress)) {
        reply(403, `${path} answers only on this host: run petrelctl on the node (kubectl exec into its Petrel pod, or petrelctl bgp routes --node NODE)\n`);
        return;
      }
      view().then((body) => reply(200, `${JSON.stringify(body)}\n`, "application/json"), (err: unknown) => reply(500, `${err instanceof Error ? err.message : String(err)}\n`));
    } else {
      reply(404, `not found: try /healthz, /readyz, /metrics${Object.keys(views).map((v) => `, ${v}`).join("")}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
