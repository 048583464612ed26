/** Messages for failed API reads that say what went wrong and what to do about it. Pure. */

export interface ApiFailure {
  /** The HTTP status, or undefined when no answer came (connection refused, TLS, DNS). */
  readonly status: number | undefined;
  /** The API server's message, or the client's error text when there was no answer. */
  readonly message: string;
}

export const REQUIRED_ACCESS =
  "get and list on ippools, ipamblocks and petrelnodes (group petrel.dev) and on pods";

/** `what` names the read, e.g. "listing IPPools"; `server` is the API server's URL. */
export function explainApiFailure(what: string, server: string, f: ApiFailure): string {
  switch (f.status) {
    case undefined:
      return `${what}: cannot reach the API server at ${server}: ${f.message}. Check that --kubeconfig (else KUBECONFIG, else the in-cluster account) names the right cluster and that its API server is up`;
    case 401:
      return `${what}: the API server at ${server} rejected the kubeconfig's credentials (HTTP 401: ${f.message}); refresh them, or pass another --kubeconfig`;
    case 403:
      return `${what}: forbidden (HTTP 403: ${f.message}); petrelctl needs ${REQUIRED_ACCESS}: bind the user to a ClusterRole that grants them`;
    case 404:
      return `${what}: the API server at ${server} does not serve it (HTTP 404: ${f.message}); Petrel's CRDs are not installed in this cluster: kubectl apply -f crds/ (or install the Helm chart)`;
    default:
      return `${what}: HTTP ${f.status}: ${f.message}${f.status >= 500 || f.status === 429 ? " (the API server is overloaded or failing; try again)" : ""}`;
  }
}
