/**
 * The HTTP endpoints of a long-running program: /healthz (alive), /readyz (doing its job) and
 * /metrics (Prometheus text format). Each check returns undefined when fine, or the reason not.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthChecks {
  readonly healthz: () => string | undefined;
  readonly readyz: () => string | undefined;
}

export async function startHealthServer(address: string, registry: Registry, checks: HealthChecks): Promise<Server> {
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon).replace(/^\[|\]$/g, "") : "0.0.0.0";
  const port = Number(address.slice(colon + 1));
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    if (path === "/healthz" || path === "/readyz") {
      const problem = path === "/healthz" ? checks.healthz() : checks.readyz();
      reply(problem === undefined ? 200 : 503, problem === undefined ? "ok\n" : `${problem}\n`);
    } else if (path === "/metrics") {
      registry.metrics().then((text) => reply(200, text, registry.contentType), (err: unknown) => reply(500, String(err)));
    } else {
      reply(404, "not found: try /healthz, /readyz or /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
