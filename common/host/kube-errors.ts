/**
 * API errors from @kubernetes/client-node mapped onto Petrel's error kinds: 429, 5xx, timeouts
 * and connection failures are transient (retry later); other 4xx are permanent and carry the API
 * server's own message, which names the field.
 */
import { ApiException } from "@kubernetes/client-node";
import { PetrelError, TransientError } from "../errors.ts";

export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.statusCode ?? (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * What the API server said in the body of a failed call (ApiException.body): the `message` of its
 * Status object, as JSON text or parsed; else a text body, cut to `maxChars`; else undefined.
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

function serverMessage(err: unknown): string {
  const said = err instanceof ApiException ? apiServerMessage(err.body) : undefined;
  return said ?? (err instanceof Error ? err.message : String(err));
}

/** Wraps an API failure of `what` (e.g. "creating IPAMBlock 198-18-0-0-26"). */
export function kubeError(what: string, err: unknown): PetrelError {
  const code = statusCodeOf(err);
  const message = `${what}: ${code === undefined ? "" : `HTTP ${code}: `}${serverMessage(err)}`;
  if (code === undefined || code === 409 || code === 429 || code >= 500) return new TransientError(message, { cause: err });
  return new PetrelError("permanent", message, { cause: err });
}
