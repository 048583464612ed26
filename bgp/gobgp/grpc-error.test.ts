import { InvalidInputError, PetrelError, TransientError } from "../../common/errors.ts";
import { fromGrpcError, GobgpError, grpcStatus } from "./grpc-error.ts";
import { statusError } from "./testing/fake-transport.ts";

const target = "unix:///run/gobgpd.sock";

describe("fromGrpcError", () => {
  it("makes an unreachable gobgpd transient and keeps the cause", () => {
    const cause = statusError(grpcStatus.UNAVAILABLE, "No connection established");
    const err = fromGrpcError(cause, "AddPath", target);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.kind).toBe("transient");
    expect(err.cause).toBe(cause);
    expect(err.message).toContain(target);
    expect(fromGrpcError(statusError(grpcStatus.DEADLINE_EXCEEDED, "Deadline exceeded"), "ListPath", target).kind).toBe("transient");
  });

  it("makes INVALID_ARGUMENT a permanent error naming the field", () => {
    const err = fromGrpcError(statusError(grpcStatus.INVALID_ARGUMENT, "bad prefix"), "AddPath", target, "prefix");
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.kind).toBe("permanent");
    expect(err.field).toBe("prefix");
  });

  it.each([
    ["bgp server hasn't started yet", "not-started", "transient"],
    ["can't overwrite the existing peer: 192.0.2.12", "exists", "permanent"],
    ["statement p-0 already defined", "exists", "permanent"],
    ["can't find a specified path", "not-found", "permanent"],
    ["neighbor that has 192.0.2.99 doesn't exist", "not-found", "permanent"],
    ["can't delete. defined-set pools is in use", "in-use", "permanent"],
    ["invalid router-id format: x", "other", "permanent"],
  ])("sorts gobgpd's UNKNOWN refusal %j", (details, reason, kind) => {
    const err = fromGrpcError(statusError(grpcStatus.UNKNOWN, details), "AddPeer", target, "address");
    expect(err).toBeInstanceOf(GobgpError);
    expect((err as GobgpError).reason).toBe(reason);
    expect(err.kind).toBe(kind);
    expect(err.field).toBe("address");
    expect(err.message).toContain(`gobgpd AddPeer: ${details}`);
  });

  it("passes Petrel errors through and wraps anything else", () => {
    const own = new InvalidInputError("asn", "bad");
    expect(fromGrpcError(own, "AddPeer", target)).toBe(own);
    const other = fromGrpcError(new Error("boom"), "AddPeer", target);
    expect(other).toBeInstanceOf(PetrelError);
    expect(other.message).toContain("boom");
  });
});
