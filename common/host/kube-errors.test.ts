// @kubernetes/client-node is ESM, which jest cannot load here: its ApiException, as the client
// builds it (code, message, body, headers), is all kube-errors.ts uses of it.
jest.mock("@kubernetes/client-node", () => ({
  ApiException: class ApiException<T> extends Error {
    readonly code: number;
    readonly body: T;
    readonly headers: Record<string, string>;
    constructor(code: number, message: string, body: T, headers: Record<string, string>) {
      super(message);
      this.code = code;
      this.body = body;
      this.headers = headers;
    }
  },
}));
import { ApiException } from "@kubernetes/client-node";
import { PetrelError, TransientError } from "../errors.ts";
import { kubeError, statusCodeOf } from "./kube-errors.ts";

const status = (message: string) => JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason: "Invalid", code: 422 });

describe("kubeError", () => {
  it("carries the API server's message; 409, 429 and 5xx are transient, other 4xx permanent", () => {
    const invalid = kubeError("creating IPAMBlock x", new ApiException(422, "HTTP-Code: 422", status("spec.node: Required value"), {}));
    expect(invalid.message).toBe("creating IPAMBlock x: HTTP 422: spec.node: Required value");
    expect(invalid).toBeInstanceOf(PetrelError);
    expect(invalid).not.toBeInstanceOf(TransientError);
    expect(kubeError("x", new ApiException(409, "", status("conflict"), {}))).toBeInstanceOf(TransientError);
    expect(kubeError("x", new ApiException(503, "", "unavailable", {})).message).toBe("x: HTTP 503: unavailable");
    expect(kubeError("x", new Error("connect ECONNREFUSED"))).toBeInstanceOf(TransientError);
    expect(statusCodeOf(new ApiException(404, "", "", {}))).toBe(404);
  });
});
