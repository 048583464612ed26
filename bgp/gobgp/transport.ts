/**
 * The gRPC edge the client needs, declared by its user. `host/grpc-transport.ts` implements it
 * over @grpc/grpc-js; unit tests pass an in-memory one (`testing/fake-transport.ts`).
 * Requests and answers are the plain objects of @grpc/proto-loader (camelCase fields, enums as
 * names, Any as `@type` objects); failures are gRPC status errors (`code`, `details`).
 */
import type { RouteUpdate, WatchMessage } from "./types.ts";

export type UnaryMethod =
  | "StartBgp" | "StopBgp" | "GetBgp"
  | "AddPeer" | "UpdatePeer" | "DeletePeer" | "ResetPeer"
  | "AddPath" | "DeletePath"
  | "AddDefinedSet" | "DeleteDefinedSet"
  | "AddPolicy" | "DeletePolicy" | "DeleteStatement"
  | "AddPolicyAssignment" | "DeletePolicyAssignment" | "SetPolicyAssignment";

export type ListMethod = "ListPeer" | "ListPath" | "ListDefinedSet" | "ListPolicy" | "ListPolicyAssignment";

export type WatchMethod = "WatchEvent";

/** A stream's answers: decoded objects (`unknown`), or undecoded bytes for the lean decoders. */
export interface StreamHandlers<T = unknown> {
  onData(message: T): void;
  /** The stream failed (gobgpd went away, or the call was cancelled). Nothing follows. */
  onError(err: unknown): void;
  /** The server closed the stream without an error. Nothing follows. */
  onEnd(): void;
}

/** A stream read as undecoded answers (for the lean decoders, which read only what they need). */
export type RawStreamHandlers = StreamHandlers<Uint8Array>;

/**
 * Decodes the two answers the agent receives in bulk (WatchEvent, ListPath) into RouteUpdates,
 * reading only the NLRI, the next hop and the flags: with the general decoder (`json: true`,
 * every Any unpacked, every default filled in) 10,000 paths took 5x longer (MACHINE-NOTES).
 */
export interface RouteDecoder {
  watchEvent(message: Uint8Array): WatchMessage;
  listPath(message: Uint8Array): RouteUpdate[];
}

export interface StreamCall {
  cancel(): void;
}

export interface GobgpTransport {
  /** Where gobgpd's API is, for messages (`unix:///run/gobgpd.sock`, `127.0.0.1:50051`). */
  readonly target: string;
  unary(method: UnaryMethod, request: Record<string, unknown>): Promise<unknown>;
  /** A server-streaming call read to its end. */
  list(method: ListMethod, request: Record<string, unknown>): Promise<unknown[]>;
  /** A long-lived server-streaming call. */
  watch(method: WatchMethod, request: Record<string, unknown>, handlers: StreamHandlers): StreamCall;
  /** The same, answers left undecoded. */
  watchRaw(method: WatchMethod, request: Record<string, unknown>, handlers: RawStreamHandlers): StreamCall;
  /** A server-streaming call read to its end, answers left undecoded. */
  listRaw(method: ListMethod, request: Record<string, unknown>): Promise<Uint8Array[]>;
  close(): void;
}
