import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKubeRestConfig, restConfigFromKubeconfig } from "./kube-rest.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-kube-rest-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://198.51.100.1:6443", "certificate-authority": "ca.crt" }): string {
  const path = join(dir, "config");
  writeFileSync(path, [
    "apiVersion: v1", "kind: Config", "current-context: c",
    "contexts: [{name: c, context: {cluster: k, user: u}}]",
    `clusters: [{name: k, cluster: ${JSON.stringify(cluster)}}]`,
    `users: [{name: u, user: ${JSON.stringify(user)}}]`,
  ].join("\n"));
  return path;
}

describe("restConfigFromKubeconfig", () => {
  it("reads server, CA (a file beside the kubeconfig) and token of the current context", () => {
    writeFileSync(join(dir, "ca.crt"), "CA");
    const c = restConfigFromKubeconfig(kubeconfig({ token: "t0ken" }));
    expect(c.server.href).toBe("https://198.51.100.1:6443/");
    expect(c.ca?.toString()).toBe("CA");
    expect(c.token).toBe("t0ken");
  });

  it("reads client certificates as data, and a token file", () => {
    const c = restConfigFromKubeconfig(kubeconfig(
      { "client-certificate-data": Buffer.from("CERT").toString("base64"), "client-key-data": Buffer.from("KEY").toString("base64"), tokenFile: "tok" },
      { server: "https://[2001:db8::1]:6443", "insecure-skip-tls-verify": true },
    ));
    expect([c.cert?.toString(), c.key?.toString(), c.tokenFile, c.insecureSkipTlsVerify]).toEqual(["CERT", "KEY", join(dir, "tok"), true]);
  });

  it("refuses a user that needs an exec plugin, saying what to use instead", () => {
    expect(() => restConfigFromKubeconfig(kubeconfig({ exec: { command: "aws" } }))).toThrow(/exec or auth-provider plugin.*token or a client certificate/);
  });
});

describe("loadKubeRestConfig", () => {
  it("takes the flag, then $KUBECONFIG, and names the flag when there is none", () => {
    writeFileSync(join(dir, "ca.crt"), "CA");
    const path = kubeconfig({ token: "a" });
    expect(loadKubeRestConfig(path, {}).token).toBe("a");
    expect(loadKubeRestConfig(undefined, { KUBECONFIG: path }).token).toBe("a");
    expect(() => loadKubeRestConfig(undefined, {})).toThrow(/--kubeconfig.*pass --kubeconfig FILE, set KUBECONFIG, or run in a pod/);
  });
});
