// The demo's command line (test/scripts/demo.ts; README "Two commands"), parsed once at the edge.
//   demo.ts [up|once|down] [--nodes N] [--tor] [--netns-nodes]
export type DemoMode = "up" | "once" | "down";

export interface DemoOptions {
  readonly mode: DemoMode;
  /** Kubelet nodes (or netns nodes with --netns-nodes); 2 pods per node. */
  readonly nodes: number;
  /** BIRD as a top-of-rack router peering with every node (BGPPeer "tor"). */
  readonly tor: boolean;
  /** The old demo: nodes and pods as bare network namespaces, no kubelet, no helm (RoutedCluster). */
  readonly netnsNodes: boolean;
}

export const demoUsage = "usage: npm run demo -- [up|once|down] [--nodes N (2..9, default 3)] [--tor] [--netns-nodes]";

/** Throws an Error with the usage line for anything it does not know. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let mode: DemoMode | undefined;
  let nodes = 3;
  let tor = false;
  let netnsNodes = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "up" || arg === "once" || arg === "down") {
      if (mode !== undefined) throw new Error(`two modes given (${mode} and ${arg}); ${demoUsage}`);
      mode = arg;
    } else if (arg === "--tor") tor = true;
    else if (arg === "--netns-nodes") netnsNodes = true;
    else if (arg === "--nodes" || arg.startsWith("--nodes=")) {
      const text = arg === "--nodes" ? argv[++i] : arg.slice("--nodes=".length);
      const n = Number(text);
      // 2 at least for a matrix across nodes; the kubelet underlay numbers nodes 203.0.113.11 on,
      // and each kubelet node costs ~0.5 GiB and ~25 s to start on this 2-core machine.
      if (!Number.isInteger(n) || n < 2 || n > 9) throw new Error(`--nodes needs a whole number from 2 to 9, got ${String(text)}; ${demoUsage}`);
      nodes = n;
    } else throw new Error(`unknown argument ${arg}; ${demoUsage}`);
  }
  return { mode: mode ?? "up", nodes, tor, netnsNodes };
}
