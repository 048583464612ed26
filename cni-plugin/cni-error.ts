import { PetrelError, type ErrorKind } from "../common/errors.ts";

/** Error codes from the CNI specification, plus Petrel's own (100 and up). */
export const CniCode = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  pluginNotAvailable: 50,
  limitedConnectivity: 51,
  /** No free address in any of the node's blocks. */
  ipamExhausted: 100,
  /** The kernel refused a link, address, route or sysctl change. */
  dataplaneFailure: 101,
  /** The node state directory or the allocation records cannot be read or written. */
  stateFailure: 102,
  /** CHECK found the pod's wiring differs from what ADD made. */
  checkFailed: 103,
} as const;

export type CniCodeValue = (typeof CniCode)[keyof typeof CniCode];

/** An error that leaves the plugin as the CNI error document `{code, msg, details}`. */
export class CniError extends PetrelError {
  readonly code: CniCodeValue;
  readonly details: string | undefined;

  constructor(code: CniCodeValue, msg: string, options?: { details?: string; cause?: unknown; kind?: ErrorKind }) {
    const kind = options?.kind ?? (code === CniCode.tryAgainLater ? "transient" : "permanent");
    super(kind, msg, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CniError";
    this.code = code;
    this.details = options?.details;
  }
}

export interface CniErrorDocument {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export function errorDocument(err: CniError, cniVersion: string): CniErrorDocument {
  const doc: CniErrorDocument = { cniVersion, code: err.code, msg: err.message };
  if (err.details !== undefined) doc.details = err.details;
  return doc;
}
