/** Applies an nftables script in the node's namespace (`ip netns exec` when the node is a netns). */
import { spawn } from "node:child_process";
import { TransientError } from "../../../common/errors.ts";

export function applyNft(netns: string | undefined, script: string): Promise<void> {
  const argv = netns === undefined ? ["nft", "-f", "-"] : ["ip", "netns", "exec", netns, "nft", "-f", "-"];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? "nft", argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", (e) => reject(new TransientError(`nft: ${e.message} (is nftables installed?)`, { cause: e })));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new TransientError(`nft -f failed (${code}): ${err.trim().slice(0, 1000)}`))));
    child.stdin?.on("error", () => {});
    child.stdin?.end(script);
  });
}
