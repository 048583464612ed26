import { explainApiFailure } from "./api-errors.ts";

const server = "https://127.0.0.1:6443";

test("each failure says what to do", () => {
  expect(explainApiFailure("listing IPPools", server, { status: undefined, message: "fetch failed: connect ECONNREFUSED 127.0.0.1:6443" })).toBe(
    "listing IPPools: cannot reach the API server at https://127.0.0.1:6443: fetch failed: connect ECONNREFUSED 127.0.0.1:6443. Check that --kubeconfig (else KUBECONFIG, else the in-cluster account) names the right cluster and that its API server is up",
  );
  expect(explainApiFailure("listing Pods", server, { status: 401, message: "Unauthorized" })).toContain("rejected the kubeconfig's credentials (HTTP 401: Unauthorized)");
  expect(explainApiFailure("listing Pods", server, { status: 403, message: 'pods is forbidden: User "x" cannot list resource "pods"' })).toContain(
    "petrelctl needs get and list on ippools, ipamblocks and petrelnodes (group petrel.dev) and on pods",
  );
  expect(explainApiFailure("listing IPAMBlocks", server, { status: 404, message: "the server could not find the requested resource" })).toContain(
    "Petrel's CRDs are not installed in this cluster: kubectl apply -f crds/",
  );
  expect(explainApiFailure("listing IPAMBlocks", server, { status: 503, message: "unavailable" })).toBe("listing IPAMBlocks: HTTP 503: unavailable (the API server is overloaded or failing; try again)");
  expect(explainApiFailure("listing IPAMBlocks", server, { status: 422, message: "bad" })).toBe("listing IPAMBlocks: HTTP 422: bad");
});
