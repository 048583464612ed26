/**
 * A failed Kubernetes API call, as every Petrel program reads it: what the API server said, and
 * whether trying again can help. Pure (no client library), so that the agent, which talks to the
 * API server through common/host/kube-rest.ts, and the programs on @kubernetes/client-node
 * (common/host/kube-errors.ts) share one rule.
 */
import { PetrelError, TransientError } from "./errors.ts";

/**
 * Worth retrying: no HTTP answer at all (`undefined`: a timeout or a broken connection), 409 (a
 * conflict: read again and write again), 429 (throttled) and 5xx. Any other status (403, 404,
 * 422, …) fails the same way next time.
 */
export function retryableStatus(code: number | undefined): boolean {
  return code === undefined || code === 409 || code === 429 || code >= 500;
}

/**
 * What the API server said in the body of a failed call: the `message` of its Status object, as
 * JSON text or parsed; else a text body, cut to `maxChars`; else undefined.
 */
export function apiServerMessage(body: unknown, maxChars = 500): string | undefined {
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: unknown } | null;
      if (typeof parsed?.message === "string") return parsed.message;
    } catch {
      // not JSON: the text itself
    }
    return body.slice(0, maxChars);
  }
  if (body !== null && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return undefined;
}

/** An HTTP answer other than the ones `what` expects, as a Petrel error (transient by retryableStatus). */
export function statusFailure(what: string, status: number, body: unknown): PetrelError {
  const text = `${what}: HTTP ${status}: ${apiServerMessage(body) ?? JSON.stringify(body)?.slice(0, 500)}`;
  return retryableStatus(status) ? new TransientError(text) : new PetrelError("permanent", text);
}
