/** Builds a GobgpClient for a gobgpd API address. Connecting is lazy: the first call dials. */
import { GobgpClient } from "../client.ts";
import { gobgpProtoDir, loadGobgpProto } from "./gobgp-proto.ts";
import { GrpcTransport } from "./grpc-transport.ts";
import { loadRouteDecoder } from "./route-decoder.ts";

export interface ConnectGobgpOptions {
  /** gobgpd's `--api-hosts` value as a gRPC target: `unix:///run/petrel/gobgp/gobgpd.sock` or `127.0.0.1:50051`. */
  address: string;
  /** Directory of gobgp's .proto files; see gobgp-proto.ts for the default. */
  protoDir?: string;
  callTimeoutMs?: number;
}

export function connectGobgp(options: ConnectGobgpOptions): GobgpClient {
  const dir = gobgpProtoDir(options.protoDir);
  const definition = loadGobgpProto(dir);
  return new GobgpClient(new GrpcTransport(options.address, definition, { callTimeoutMs: options.callTimeoutMs }), loadRouteDecoder(dir));
}
