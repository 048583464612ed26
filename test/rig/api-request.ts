// Raw HTTPS to the apiserver, for the readiness probe and KubeRig.request(). node:https rather
// than fetch because it takes the rig's CA per request: the built-in fetch has no such option
// (short of the undici package), and trusting the CA process-wide or skipping verification would
// leak into the code under test.
import { request } from "node:https";

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** One request with a bearer token; the body is parsed JSON when it parses, else the text. */
export function apiRequest(
  server: string,
  ca: Buffer,
  token: string,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
  timeoutMs = 30_000,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(
      new URL(path, server),
      {
        method,
        ca,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (e.g. /readyz)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on("error", reject);
      },
    );
    // The timeout event only reports idleness; destroying the request is what ends the wait.
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}
