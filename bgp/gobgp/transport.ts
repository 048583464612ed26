/**
 * The gRPC edge the client needs, declared by its user. `host/grpc-transport.ts` implements it
 * over @grpc/grpc-js; unit tests pass an in-memory one (`testing/fake-transport.ts`).
 * Requests and answers are the plain objects of @grpc/proto-loader (camelCase fields, enums as
 * names, Any as `@type` objects); failures are gRPC status errors (`code`, `details`).
 */
export type UnaryMethod =
  | "StartBgp" | "StopBgp" | "GetBgp"
  | "AddPeer" | "UpdatePeer" | "DeletePeer" | "ResetPeer"
  | "AddPath" | "DeletePath"
  | "AddDefinedSet" | "DeleteDefinedSet"
  | "AddPolicy" | "DeletePolicy"
  | "AddPolicyAssignment" | "DeletePolicyAssignment" | "SetPolicyAssignment";

export type ListMethod = "ListPeer" | "ListPath" | "ListDefinedSet" | "ListPolicy" | "ListPolicyAssignment";

export type WatchMethod = "WatchEvent";

export interface StreamHandlers {
  onData(message: unknown): void;
  /** The stream failed (gobgpd went away, or the call was cancelled). Nothing follows. */
  onError(err: unknown): void;
  /** The server closed the stream without an error. Nothing follows. */
  onEnd(): void;
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
  close(): void;
}
