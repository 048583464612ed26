/** The client's gRPC edge over @grpc/grpc-js, with gobgpd's service taken from the loaded protos. */
import { Client, credentials, Metadata, type ClientReadableStream } from "@grpc/grpc-js";
import type { MethodDefinition, PackageDefinition } from "@grpc/proto-loader";
import { PetrelError } from "../../../common/errors.ts";
import type { GobgpTransport, ListMethod, RawStreamHandlers, StreamCall, StreamHandlers, UnaryMethod, WatchMethod } from "../transport.ts";

const serviceName = "apipb.GobgpApi";

/** The answer's bytes as they came: the lean decoders read them (route-decoder.ts). */
const raw = (b: Buffer): Uint8Array => b;

export interface GrpcTransportOptions {
  /** Deadline of unary and list calls. Default 30 s: a wedged gobgpd must not wedge the agent. */
  callTimeoutMs?: number;
}

type Method = MethodDefinition<object, object>;

function methodsOf(definition: PackageDefinition): Record<string, Method> {
  const service = definition[serviceName];
  if (service === undefined || typeof service !== "object" || !("StartBgp" in service)) {
    throw new PetrelError("permanent", `the loaded .proto files define no ${serviceName} service: are they gobgp's api/ directory?`);
  }
  return service as Record<string, Method>;
}

export class GrpcTransport implements GobgpTransport {
  readonly target: string;
  private readonly client: Client;
  private readonly methods: Record<string, Method>;
  private readonly callTimeoutMs: number;

  /** `target`: `host:port`, `[v6]:port` or `unix:///path/to/socket`. */
  constructor(target: string, definition: PackageDefinition, options: GrpcTransportOptions = {}) {
    this.target = target;
    this.methods = methodsOf(definition);
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    // gobgpd is local and restarts quickly; grpc-js's default reconnect backoff grows to 2 min.
    this.client = new Client(target, credentials.createInsecure(), {
      "grpc.initial_reconnect_backoff_ms": 250,
      "grpc.max_reconnect_backoff_ms": 5_000,
    });
  }

  private method(name: string): Method {
    const m = this.methods[name];
    if (m === undefined) throw new PetrelError("permanent", `gobgpd's API has no ${name} method: is the .proto directory of another gobgp version?`);
    return m;
  }

  private deadline(): Date {
    return new Date(Date.now() + this.callTimeoutMs);
  }

  unary(name: UnaryMethod, request: Record<string, unknown>): Promise<unknown> {
    const m = this.method(name);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new Metadata(),
        { deadline: this.deadline() }, (err, value) => (err ? reject(err) : resolve(value)));
    });
  }

  list(name: ListMethod, request: Record<string, unknown>): Promise<unknown[]> {
    const m = this.method(name);
    return this.collect(m, m.responseDeserialize, request);
  }

  watch(name: WatchMethod, request: Record<string, unknown>, handlers: StreamHandlers): StreamCall {
    const m = this.method(name);
    return this.stream(m, m.responseDeserialize, request, handlers);
  }

  listRaw(name: ListMethod, request: Record<string, unknown>): Promise<Uint8Array[]> {
    return this.collect(this.method(name), raw, request);
  }

  watchRaw(name: WatchMethod, request: Record<string, unknown>, handlers: RawStreamHandlers): StreamCall {
    return this.stream(this.method(name), raw, request, handlers);
  }

  /** A server-streaming call read to its end, within the call deadline. */
  private collect<T>(m: Method, deserialize: (b: Buffer) => T, request: Record<string, unknown>): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const out: T[] = [];
      const call = this.client.makeServerStreamRequest(m.path, m.requestSerialize, deserialize, request, new Metadata(), { deadline: this.deadline() });
      call.on("data", (d: T) => out.push(d));
      call.on("error", reject);
      call.on("end", () => resolve(out));
    });
  }

  /** A long-lived server-streaming call (no deadline): after an error or the end, nothing more reaches `handlers`. */
  private stream<T>(m: Method, deserialize: (b: Buffer) => T, request: Record<string, unknown>, handlers: StreamHandlers<T>): StreamCall {
    const call: ClientReadableStream<T> = this.client.makeServerStreamRequest(m.path, m.requestSerialize, deserialize, request, new Metadata());
    let done = false;
    call.on("data", (d: T) => {
      if (!done) handlers.onData(d);
    });
    call.on("error", (err: unknown) => {
      if (done) return;
      done = true;
      handlers.onError(err);
    });
    call.on("end", () => {
      if (done) return;
      done = true;
      handlers.onEnd();
    });
    return { cancel: () => call.cancel() };
  }

  close(): void {
    this.client.close();
  }
}
