/**
 * The node's blocks, as the agent writes them to `<stateDir>/blocks.json` for the CNI plugin.
 * This file is the only channel between agent and plugin, so that pods keep starting while the
 * agent or the API server is down. The agent replaces it atomically (write, fsync, rename).
 */
import { cidrsOverlap, formatCidr, parseCidr, type Cidr } from "./cidr.ts";
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
  doc.blocks.forEach((b: unknown, i) => {
    if (typeof b !== "object" || b === null) {
      throw new InvalidInputError(`${source}: blocks[${i}]`, `expected {"cidr":…,"pool":…}, got ${JSON.stringify(b)}; the Petrel agent rewrites the file on its next pass`);
    }
    const entry = b as Partial<NodeBlock>;
    const cidr = parseCidr(entry.cidr as string, `${source}: blocks[${i}].cidr`);
    // Overlapping blocks would let one address be counted in two blocks (and handed out by two
    // nodes): the controller never cuts them, so the file was edited by hand.
    const clash = blocks.findIndex((other) => cidrsOverlap(other, cidr));
    if (clash >= 0) {
      throw new InvalidInputError(`${source}: blocks[${i}].cidr`, `${formatCidr(cidr)} overlaps blocks[${clash}] (${formatCidr(blocks[clash] as Cidr)}); blocks never overlap, so the file was edited by hand: the Petrel agent rewrites it on its next pass`);
    }
    blocks.push(cidr);
    pools.push(typeof entry.pool === "string" ? entry.pool : "");
  });
  return { node: typeof doc.node === "string" ? doc.node : "", blocks, pools };
}

export function renderNodeBlocksFile(node: string, blocks: NodeBlock[], now: Date): string {
  const doc: NodeBlocksFile = { version: 1, node, blocks, updated: now.toISOString() };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
