/** An in-memory GobgpTransport for unit tests: records requests and answers from a script. */
import type { GobgpTransport, ListMethod, StreamCall, StreamHandlers, UnaryMethod, WatchMethod } from "../transport.ts";

export interface RecordedCall {
  method: string;
  request: Record<string, unknown>;
}

export interface FakeStream {
  request: Record<string, unknown>;
  handlers: StreamHandlers;
  cancelled: boolean;
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
  closed = false;
  private readonly answers = new Map<string, Answer[]>();

  /** Queues answers for a method; a function is called with the request; an Error is thrown. */
  answer(method: UnaryMethod | ListMethod, ...answers: Answer[]): this {
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

  close(): void {
    this.closed = true;
  }

  requestsOf(method: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request);
  }
}
