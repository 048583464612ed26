/**
 * API errors from @kubernetes/client-node mapped onto Petrel's error kinds by the one retry rule
 * (common/kube-failure.ts): 409, 429, 5xx, timeouts and connection failures are transient (retry
 * later); other 4xx are permanent and carry the API server's own message, which names the field.
 */
import { ApiException } from "@kubernetes/client-node";
import { PetrelError, TransientError } from "../errors.ts";
import { apiServerMessage, retryableStatus } from "../kube-failure.ts";

export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.statusCode ?? (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

function serverMessage(err: unknown): string {
  const said = err instanceof ApiException ? apiServerMessage(err.body) : undefined;
  return said ?? (err instanceof Error ? err.message : String(err));
}

/** Wraps an API failure of `what` (e.g. "creating IPAMBlock 198-18-0-0-26"). */
export function kubeError(what: string, err: unknown): PetrelError {
  const code = statusCodeOf(err);
  const message = `${what}: ${code === undefined ? "" : `HTTP ${code}: `}${serverMessage(err)}`;
  if (retryableStatus(code)) return new TransientError(message, { cause: err });
  return new PetrelError("permanent", message, { cause: err });
}
