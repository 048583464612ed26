/** An in-memory GobgpTransport for unit tests: records requests and answers from a script. */
import type { GobgpTransport, ListMethod, RawStreamHandlers, RouteDecoder, StreamCall, StreamHandlers, UnaryMethod, WatchMethod } from "../transport.ts";
import type { RouteUpdate, WatchMessage } from "../types.ts";

export interface RecordedCall {
  method: string;
  request: Record<string, unknown>;
}

export interface FakeStream {
  request: Record<string, unknown>;
  handlers: StreamHandlers;
  cancelled: boolean;
}

export interface FakeRawStream {
  request: Record<string, unknown>;
  handlers: RawStreamHandlers;
  cancelled: boolean;
}

/**
 * The fake's stand-in for the protobuf answers of the lean decoder: JSON of what the decoder
 * returns. The real decoder is tested against real gobgpd answers (test/bgp/).
 */
export const jsonDecoder: RouteDecoder = {
  watchEvent: (m) => JSON.parse(Buffer.from(m).toString("utf8")) as WatchMessage,
  listPath: (m) => JSON.parse(Buffer.from(m).toString("utf8")) as RouteUpdate[],
};

export function encodeWatch(message: WatchMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

export function encodeListPath(routes: readonly RouteUpdate[]): Uint8Array {
  return Buffer.from(JSON.stringify(routes));
}

type Answer = unknown | ((request: Record<string, unknown>) => unknown);

/** A gRPC status error as grpc-js produces it. */
export function statusError(code: number, details: string): Error & { code: number; details: string } {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

export class FakeTransport implements GobgpTransport {
  readonly target = "unix:///fake/gobgpd.sock";
  readonly calls: RecordedCall[] = [];
  readonly streams: FakeStream[] = [];
  readonly rawStreams: FakeRawStream[] = [];
  closed = false;
  private readonly answers = new Map<string, Answer[]>();

  /** Queues answers for a method; a function is called with the request; an Error is thrown. */
  answer(method: UnaryMethod | ListMethod | `raw:${ListMethod}`, ...answers: Answer[]): this {
    this.answers.set(method, [...(this.answers.get(method) ?? []), ...answers]);
    return this;
  }

  private next(method: string, request: Record<string, unknown>): unknown {
    this.calls.push({ method, request });
    const queue = this.answers.get(method) ?? [];
    // The last answer repeats, so a test can set a steady state with one call.
    const a = queue.length > 1 ? queue.shift() : queue[0];
    const value = typeof a === "function" ? (a as (r: Record<string, unknown>) => unknown)(request) : a;
    if (value instanceof Error) throw value;
    return value;
  }

  async unary(method: UnaryMethod, request: Record<string, unknown>): Promise<unknown> {
    return this.next(method, request) ?? {};
  }

  async list(method: ListMethod, request: Record<string, unknown>): Promise<unknown[]> {
    const value = this.next(method, request) ?? [];
    return Array.isArray(value) ? value : [value];
  }

  watch(_method: WatchMethod, request: Record<string, unknown>, handlers: StreamHandlers): StreamCall {
    const stream: FakeStream = { request, handlers, cancelled: false };
    this.streams.push(stream);
    return { cancel: () => { stream.cancelled = true; } };
  }

  watchRaw(_method: WatchMethod, request: Record<string, unknown>, handlers: RawStreamHandlers): StreamCall {
    const stream: FakeRawStream = { request, handlers, cancelled: false };
    this.rawStreams.push(stream);
    return { cancel: () => { stream.cancelled = true; } };
  }

  /** Answers come from `answer(method, ...)` under the name `raw:<method>` (Uint8Array items). */
  async listRaw(method: ListMethod, request: Record<string, unknown>): Promise<Uint8Array[]> {
    const value = this.next(`raw:${method}`, request) ?? [];
    return Array.isArray(value) ? (value as Uint8Array[]) : [value as Uint8Array];
  }

  close(): void {
    this.closed = true;
  }

  requestsOf(method: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request);
  }
}
