/** Applies an nftables script in the node's namespace (`ip netns exec` when the node is a netns). */
import { TransientError } from "../../../common/errors.ts";
import { runProgram } from "../../../common/host/run-program.ts";

export async function applyNft(netns: string | undefined, script: string): Promise<void> {
  const argv = netns === undefined ? ["nft", "-f", "-"] : ["ip", "netns", "exec", netns, "nft", "-f", "-"];
  const r = await runProgram(argv[0] ?? "nft", argv.slice(1), { input: script, what: "nft", hint: "is nftables installed?" });
  if (r.code !== 0) throw new TransientError(`nft -f failed (${r.code}): ${r.err.trim().slice(0, 1000)}`);
}
