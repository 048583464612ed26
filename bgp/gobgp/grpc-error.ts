/**
 * gRPC failures as Petrel errors. Transport trouble (gobgpd down or restarting) is transient;
 * gobgpd's own refusals are permanent unless retrying after a reconfiguration can succeed.
 *
 * gobgpd 3.10 answers every refusal with status UNKNOWN and a bare Go error string ("can't
 * overwrite the existing peer: ..."), never INVALID_ARGUMENT or NOT_FOUND, so the reason is read
 * from the message text.
 */
import { errorMessage, InvalidInputError, PetrelError, TransientError } from "../../common/errors.ts";

/** gRPC status codes (stable across implementations; see grpc/doc/statuscodes.md). */
export const grpcStatus = {
  CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
} as const;

const transientCodes: ReadonlySet<number> = new Set([
  grpcStatus.CANCELLED, grpcStatus.DEADLINE_EXCEEDED, grpcStatus.RESOURCE_EXHAUSTED, grpcStatus.ABORTED, grpcStatus.UNAVAILABLE,
]);

export type GobgpErrorReason = "not-started" | "exists" | "not-found" | "in-use" | "other";

/** gobgpd refused the request. `reason` sorts the common refusals so callers need not parse text. */
export class GobgpError extends PetrelError {
  readonly reason: GobgpErrorReason;
  readonly grpcCode: number;
  readonly details: string;

  constructor(operation: string, code: number, details: string, reason: GobgpErrorReason, options: { cause?: unknown; field?: string }) {
    const hint = reason === "not-started" ? " (call startBgp first; a restarted gobgpd has forgotten its configuration)" : "";
    super(reason === "not-started" ? "transient" : "permanent", `gobgpd ${operation}: ${details}${hint}`, options);
    this.name = "GobgpError";
    this.reason = reason;
    this.grpcCode = code;
    this.details = details;
  }
}

function reasonOf(details: string): GobgpErrorReason {
  if (details.includes("hasn't started yet")) return "not-started";
  if (/can't overwrite the existing|already (defined|exists)|duplicated/i.test(details)) return "exists";
  if (/not found|doesn't exist|does not exist|can't find|no such/i.test(details)) return "not-found";
  if (/in use/i.test(details)) return "in-use";
  return "other";
}

interface StatusLike {
  code: number;
  details: string;
}

function asStatus(err: unknown): StatusLike | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, details } = err as { code?: unknown; details?: unknown };
  return typeof code === "number" ? { code, details: typeof details === "string" ? details : errorMessage(err) } : undefined;
}

/**
 * Maps a failed call. `operation` names the RPC for the message; `field` names the request part
 * a refusal is about, since gobgpd's messages rarely say.
 */
export function fromGrpcError(err: unknown, operation: string, target: string, field?: string): PetrelError {
  if (err instanceof PetrelError) return err;
  const st = asStatus(err);
  if (st === undefined) return new GobgpError(operation, grpcStatus.UNKNOWN, errorMessage(err), "other", { cause: err, field });
  if (transientCodes.has(st.code)) {
    return new TransientError(`gobgpd ${operation}: gobgpd at ${target} is unreachable or busy (${st.details}); is it running?`, { cause: err });
  }
  if (st.code === grpcStatus.INVALID_ARGUMENT) {
    return new InvalidInputError(field ?? operation, `gobgpd rejected it: ${st.details}`, { cause: err });
  }
  const reason = st.code === grpcStatus.NOT_FOUND ? "not-found" : st.code === grpcStatus.ALREADY_EXISTS ? "exists" : reasonOf(st.details);
  return new GobgpError(operation, st.code, st.details, reason, { cause: err, field });
}
