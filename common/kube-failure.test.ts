import { PetrelError, TransientError } from "./errors.ts";
import { apiServerMessage, retryableStatus, statusFailure } from "./kube-failure.ts";

const status = (message: string) => JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason: "Invalid", code: 422 });

describe("apiServerMessage", () => {
  it("reads the Status message from a JSON body or a parsed one", () => {
    expect(apiServerMessage(status("spec.cidr: Invalid value"))).toBe("spec.cidr: Invalid value");
    expect(apiServerMessage({ message: "forbidden: User cannot list" })).toBe("forbidden: User cannot list");
  });

  it("gives a text body cut to maxChars, and nothing for a body without a message", () => {
    expect(apiServerMessage("upstream connect error", 8)).toBe("upstream");
    expect(apiServerMessage("x".repeat(600))).toHaveLength(500);
    expect(apiServerMessage({ code: 500 })).toBeUndefined();
    expect(apiServerMessage(undefined)).toBeUndefined();
    expect(apiServerMessage("null")).toBe("null");
  });
});

describe("retryableStatus", () => {
  it("retries no answer, conflicts, throttling and server errors, and nothing else", () => {
    expect([undefined, 409, 429, 500, 503].map(retryableStatus)).toEqual([true, true, true, true, true]);
    expect([0, 400, 401, 403, 404, 410, 422].map(retryableStatus)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe("statusFailure", () => {
  it("words the API server's message, transient or permanent by the retry rule", () => {
    const conflict = statusFailure("updating ipamblocks/x/status", 409, { kind: "Status", message: "the object has been modified" });
    expect(conflict).toBeInstanceOf(TransientError);
    expect(conflict.message).toBe("updating ipamblocks/x/status: HTTP 409: the object has been modified");
    const forbidden = statusFailure("reading Secret ns/s", 403, { kind: "Status", message: "secrets \"s\" is forbidden" });
    expect(forbidden).toBeInstanceOf(PetrelError);
    expect(forbidden).not.toBeInstanceOf(TransientError);
    expect(statusFailure("x", 502, { code: 502 }).message).toBe('x: HTTP 502: {"code":502}');
    expect(statusFailure("x", 502, "Bad Gateway").message).toBe("x: HTTP 502: Bad Gateway");
  });
});
