/**
 * Two small inputs of the configuration pass: the BGP passwords the BGPPeers name (read from
 * their Secrets on demand, never cached beyond the pass), and the node's blocks file for the CNI
 * plugin (written only when its content changes).
 */
import type { BGPPeer, IPAMBlock } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import { renderNodeBlocksFile } from "../../common/node-blocks.ts";

/** Passwords by "secretName/key"; a Secret that cannot be read is logged and left out. */
export async function readPasswords(peers: readonly BGPPeer[], secretValue: (name: string, key: string) => Promise<string | undefined>, log: Logger): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const bp of peers) {
    const ref = bp.spec.password?.secretKeyRef;
    if (ref === undefined || out.has(`${ref.name}/${ref.key}`)) continue;
    try {
      const v = await secretValue(ref.name, ref.key);
      if (v !== undefined) out.set(`${ref.name}/${ref.key}`, v);
    } catch (err) {
      log.warn("cannot read a BGP password", { secret: ref.name, error: errorMessage(err) });
    }
  }
  return out;
}

export interface BlocksFileIo {
  write(content: string): void;
  /** What the file holds now (undefined when unreadable): a file changed by hand is written again. */
  read?(): string | undefined;
}

export class BlocksFile {
  readonly #node: string;
  readonly #io: BlocksFileIo;
  readonly #log: Logger;
  #lastKey = "";
  #lastText = "";

  constructor(node: string, io: BlocksFileIo, log: Logger) {
    this.#node = node;
    this.#io = io;
    this.#log = log;
  }

  /**
   * Writes the node's active blocks when they changed, or when the file no longer holds what was
   * written; draining ones are left out (the plugin stops allocating from them).
   */
  update(blocks: readonly IPAMBlock[], now: Date): void {
    const active = blocks.filter((b) => b.spec.draining !== true).map((b) => ({ cidr: b.spec.cidr, pool: b.spec.pool })).sort((a, b) => (a.cidr < b.cidr ? -1 : 1));
    const key = JSON.stringify(active);
    if (key === this.#lastKey && (this.#io.read === undefined || this.#io.read() === this.#lastText)) return;
    const text = renderNodeBlocksFile(this.#node, active, now);
    this.#io.write(text);
    this.#lastKey = key;
    this.#lastText = text;
    this.#log.info("blocks written for the CNI plugin", { node: this.#node, blocks: active.map((b) => b.cidr) });
  }
}
