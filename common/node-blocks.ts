/**
 * The node's blocks, as the agent writes them to `<stateDir>/blocks.json` for the CNI plugin.
 * This file is the only channel between agent and plugin, so that pods keep starting while the
 * agent or the API server is down. The agent replaces it atomically (write, fsync, rename).
 */
import { parseCidr, type Cidr } from "./cidr.ts";
import { InvalidInputError } from "./errors.ts";

export const nodeBlocksFileName = "blocks.json";

export interface NodeBlock {
  cidr: string;
  pool: string;
}

export interface NodeBlocksFile {
  /** Format version of this file. */
  version: 1;
  node: string;
  blocks: NodeBlock[];
  /** RFC 3339 time of the agent's last write. */
  updated: string;
}

export interface ParsedNodeBlocks {
  node: string;
  blocks: Cidr[];
  pools: string[];
}

export function parseNodeBlocksFile(text: string, source: string): ParsedNodeBlocks {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(source, "is not valid JSON; the Petrel agent rewrites it on its next pass", { cause: err });
  }
  const doc = raw as Partial<NodeBlocksFile> | null;
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || !Array.isArray(doc.blocks)) {
    throw new InvalidInputError(source, `expected {"version":1,"node":…,"blocks":[{"cidr":…,"pool":…}]}`);
  }
  const blocks: Cidr[] = [];
  const pools: string[] = [];
  doc.blocks.forEach((b, i) => {
    blocks.push(parseCidr(b?.cidr as string, `${source}: blocks[${i}].cidr`));
    pools.push(typeof b?.pool === "string" ? b.pool : "");
  });
  return { node: typeof doc.node === "string" ? doc.node : "", blocks, pools };
}

export function renderNodeBlocksFile(node: string, blocks: NodeBlock[], now: Date): string {
  const doc: NodeBlocksFile = { version: 1, node, blocks, updated: now.toISOString() };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
