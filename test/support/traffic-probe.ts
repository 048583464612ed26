// Traffic between pods while something is done to the cluster (the fault drills): for each
// (client, server) pair, a ping every 200 ms and one long-lived TCP connection that echoes a line
// every 200 ms, both from inside the client pod (kubectl exec), for a fixed time. The result
// counts the pings sent and lost and says whether the TCP connection survived (and if not,
// after how many round trips it broke).
import type { KubeRig } from "../rig/rig.ts";

export interface ProbePod {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
}

export interface PairResult {
  readonly from: ProbePod;
  readonly to: ProbePod;
  readonly pingsSent: number;
  readonly pingsLost: number;
  readonly tcpRoundTrips: number;
  /** undefined: the connection lasted the whole run. */
  readonly tcpBroken: string | undefined;
}

/** The echo server every probe pod runs (busybox nc, one `cat` per connection). */
export const echoPort = 9000;

/**
 * The client side, run by bash in the agnhost image: pings in the background, an echo loop on one
 * TCP connection in the foreground; prints `PING <sent> <received>` and `TCP <round trips> <OK|reason>`.
 */
function clientScript(ip: string, seconds: number): string {
  return [
    `ping -i 0.2 -w ${seconds} -q ${ip} > /tmp/ping.$$ 2>&1 &`,
    "pp=$!",
    "n=0; why=OK",
    `if exec 3<>/dev/tcp/${ip}/${echoPort}; then`,
    `  end=$((SECONDS+${seconds}))`,
    "  while [ $SECONDS -lt $end ]; do",
    "    echo $n >&3 || { why=write-failed; break; }",
    "    read -t 3 r <&3 || { why=no-echo-in-3s; break; }",
    '    [ "$r" = "$n" ] || { why=wrong-echo; break; }',
    "    n=$((n+1)); sleep 0.2",
    "  done",
    "else why=connect-failed; fi",
    "wait $pp",
    "sed -n 's/^\\([0-9]*\\) packets transmitted, \\([0-9]*\\) received.*/PING \\1 \\2/p' /tmp/ping.$$",
    'echo "TCP $n $why"',
  ].join("\n");
}

/** Runs every pair at once for `seconds`, while `during` runs; resolves with both. */
export async function probeDuring<T>(rig: KubeRig, namespace: string, pairs: readonly (readonly [ProbePod, ProbePod])[], seconds: number, during: () => Promise<T>): Promise<{ pairs: PairResult[]; result: T }> {
  const runs = pairs.map(async ([from, to]) => {
    const r = await rig.kubectl(["exec", "-n", namespace, from.name, "-c", "client", "--", "bash", "-c", clientScript(to.ip, seconds)]);
    const ping = /^PING (\d+) (\d+)$/m.exec(r.stdout);
    const tcp = /^TCP (\d+) (\S+)$/m.exec(r.stdout);
    if (ping === null || tcp === null) throw new Error(`probe ${from.name} -> ${to.name} printed no result (exit ${r.status}): ${r.stdout} ${r.stderr}`);
    const sent = Number(ping[1]);
    return { from, to, pingsSent: sent, pingsLost: sent - Number(ping[2]), tcpRoundTrips: Number(tcp[1]), tcpBroken: tcp[2] === "OK" ? undefined : tcp[2] } satisfies PairResult;
  });
  // Let the probes start before the disturbance.
  await new Promise((r) => setTimeout(r, 3000));
  const result = await during();
  return { pairs: await Promise.all(runs), result };
}

export function formatPairs(title: string, pairs: readonly PairResult[]): string {
  const lines = [title, "  from                  to                    pings sent  lost  TCP round trips  TCP connection"];
  for (const p of pairs) {
    lines.push(`  ${`${p.from.name}@${p.from.node}`.padEnd(22)}${`${p.to.name}@${p.to.node}`.padEnd(22)}${String(p.pingsSent).padStart(10)}${String(p.pingsLost).padStart(6)}${String(p.tcpRoundTrips).padStart(17)}  ${p.tcpBroken === undefined ? "kept" : `broken (${p.tcpBroken})`}`);
  }
  return lines.join("\n");
}

/** A probe pod pinned to a node: `server` (busybox nc echo on 9000) and `client` (agnhost, for bash, ping). */
export function probePodManifest(name: string, node: string, agnhost: string, busybox: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "probe" } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: "server", image: busybox, command: ["nc", "-ll", "-p", String(echoPort), "-e", "cat"] },
        { name: "client", image: agnhost, args: ["pause"] },
      ],
    },
  };
}
