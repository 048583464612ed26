// The health server's local views: JSON to clients on this host, 403 to others (the port is open
// to scrapes from anywhere). A real server on loopback.
import type { Server } from "node:http";
import { Registry } from "prom-client";
import { isLocalClient, startHealthServer } from "./health-server.ts";

describe("isLocalClient", () => {
  test.each<[string | undefined, string | undefined, boolean]>([
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.53", "0.0.0.0", true],
    ["::1", "::1", true],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1", true],
    // A host-network client that dialled the node's own address.
    ["192.0.2.11", "192.0.2.11", true],
    ["::ffff:192.0.2.11", "192.0.2.11", true],
    ["192.0.2.12", "192.0.2.11", false],
    ["198.18.0.5", "192.0.2.11", false],
    [undefined, "127.0.0.1", false],
  ])("%s to %s: %s", (remote, local, want) => {
    expect(isLocalClient(remote, local)).toBe(want);
  });
});

describe("startHealthServer", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = await startHealthServer("127.0.0.1:0", new Registry(), {
      healthz: () => undefined,
      readyz: () => "not yet",
      localViews: { "/bgp/routes": async () => ({ node: "node-a", learned: [] }), "/broken": async () => Promise.reject(new Error("gobgpd went away")) },
    });
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
  });
  afterAll(() => server.close());

  test("a local view answers JSON on loopback", async () => {
    const r = await fetch(`${base}/bgp/routes`);
    expect([r.status, r.headers.get("content-type"), await r.json()]).toEqual([200, "application/json", { node: "node-a", learned: [] }]);
  });

  test("a failing view is a 500 with the reason; an unknown path names the views", async () => {
    const broken = await fetch(`${base}/broken`);
    expect([broken.status, await broken.text()]).toEqual([500, "gobgpd went away\n"]);
    const missing = await fetch(`${base}/nope`);
    expect([missing.status, await missing.text()]).toEqual([404, "not found: try /healthz, /readyz, /metrics, /bgp/routes, /broken\n"]);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });
});
