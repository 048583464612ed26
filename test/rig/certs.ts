// The rig's PKI, made fresh for every rig with the openssl CLI, so that no key or certificate is
// kept in the repository or shared between rigs, and no PKI library is needed.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mustRun } from "./run-process.ts";

/**
 * Makes, in `dir`, a CA (ca.key, ca.crt), a serving certificate for 127.0.0.1/localhost and
 * `serverIPs` (the apiserver's listen address when it is not loopback, the `kubernetes` Service's
 * cluster IP) signed by it (apiserver.key, apiserver.crt) and a service-account key pair (sa.key, sa.pub).
 */
export async function makeCerts(dir: string, serverIPs: readonly string[] = []): Promise<void> {
  const o = (args: readonly string[]): Promise<string> => mustRun("openssl", args);
  const p = (name: string): string => join(dir, name);
  // EC P-256 keys are generated in milliseconds, unlike RSA, and every rig start makes three.
  // Two days of validity: a rig lives for one test run; the certificates die with its temp dir.
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("ca.key")]);
  await o(["req", "-x509", "-new", "-key", p("ca.key"), "-subj", "/CN=petrel-rig-ca", "-days", "2", "-out", p("ca.crt")]);
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("apiserver.key")]);
  await o(["req", "-new", "-key", p("apiserver.key"), "-subj", "/CN=kube-apiserver", "-out", p("apiserver.csr")]);
  // The in-cluster names are in the SAN too, so a client configured like a pod would also verify.
  const ips = [...new Set(["127.0.0.1", ...serverIPs])].map((ip) => `IP:${ip}`).join(",");
  await writeFile(
    p("apiserver.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${ips},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc`,
      "",
    ].join("\n"),
  );
  await o([
    "x509", "-req", "-in", p("apiserver.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", p("apiserver.ext"), "-out", p("apiserver.crt"),
  ]);
  // The apiserver signs service-account tokens with sa.key and verifies them with sa.pub.
  await o(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("sa.key")]);
  await o(["pkey", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub")]);
}
