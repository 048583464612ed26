/**
 * Petrel's error taxonomy. Every error says what went wrong and how to fix it; `transient`
 * tells a caller whether retrying the same operation later can succeed.
 */
export type ErrorKind = "transient" | "permanent";

export class PetrelError extends Error {
  readonly kind: ErrorKind;
  /** Where the problem is, e.g. a config field path such as `ipam.blocks[1]`. */
  readonly field: string | undefined;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PetrelError";
    this.kind = kind;
    this.field = options?.field;
  }
}

/** Bad input: retrying with the same input fails the same way. */
export class InvalidInputError extends PetrelError {
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("permanent", `${field}: ${message}`, { ...options, field });
    this.name = "InvalidInputError";
  }
}

/** A condition that may clear by itself (a lock held, an API server restarting). */
export class TransientError extends PetrelError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("transient", message, options);
    this.name = "TransientError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
