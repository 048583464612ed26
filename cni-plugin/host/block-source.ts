import { readFileSync } from "node:fs";
import type { Cidr } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import { nodeBlocksFileName, parseNodeBlocksFile } from "../../common/node-blocks.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { BlockSource } from "../ports.ts";

/** Blocks pinned in the config win; otherwise the agent's `<stateDir>/blocks.json`. */
export function blockSource(pinned: Cidr[] | undefined, stateDir: string): BlockSource {
  return {
    current() {
      if (pinned !== undefined) return { blocks: pinned, pinned: true, source: "ipam.blocks" };
      const path = `${stateDir}/${nodeBlocksFileName}`;
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (err) {
        throw new CniError(CniCode.tryAgainLater, `this node has no address blocks yet: cannot read ${path}: ${errorMessage(err)}`, {
          kind: "transient",
          details: "the Petrel agent writes it once the controller has assigned a block to the node (kubectl get ipamblocks); without a cluster, pin blocks with \"ipam\": {\"blocks\": [\"198.18.0.0/26\"]}",
          cause: err,
        });
      }
      let parsed;
      try {
        parsed = parseNodeBlocksFile(text, path);
      } catch (err) {
        throw new CniError(CniCode.stateFailure, errorMessage(err), { cause: err });
      }
      if (parsed.blocks.length === 0) {
        throw new CniError(CniCode.tryAgainLater, `this node has no address blocks yet (${path} lists none)`, {
          kind: "transient",
          details: "check that an IPPool selects this node and is not disabled: kubectl get ippools",
        });
      }
      return { blocks: parsed.blocks, pinned: false, source: path };
    },
  };
}
