import { parseNodeBlocksFile, renderNodeBlocksFile } from "./node-blocks.ts";
import { formatCidr } from "./cidr.ts";

describe("node blocks file", () => {
  it("round-trips what the agent writes", () => {
    const text = renderNodeBlocksFile("node-a", [{ cidr: "198.18.0.0/26", pool: "default" }], new Date("2026-01-02T03:04:05Z"));
    const parsed = parseNodeBlocksFile(text, "/var/lib/petrel/blocks.json");
    expect(parsed.node).toBe("node-a");
    expect(parsed.blocks.map(formatCidr)).toEqual(["198.18.0.0/26"]);
    expect(parsed.pools).toEqual(["default"]);
  });

  it("names the file and the entry on bad input", () => {
    expect(() => parseNodeBlocksFile("{", "/s/blocks.json")).toThrow(/^\/s\/blocks.json: is not valid JSON/);
    expect(() => parseNodeBlocksFile('{"version":2,"blocks":[]}', "/s/blocks.json")).toThrow(/expected \{"version":1/);
    expect(() => parseNodeBlocksFile('{"version":1,"blocks":[{"cidr":"198.18.0.1/26"}]}', "/s/blocks.json"))
      .toThrow(/blocks\[0\]\.cidr: "198.18.0.1\/26" has host bits set/);
    expect(() => parseNodeBlocksFile('{"version":1,"blocks":[{"cidr":26}]}', "/s/blocks.json")).toThrow(/^\/s\/blocks.json: blocks\[0\]\.cidr: expected a CIDR string/);
    expect(() => parseNodeBlocksFile('{"version":1,"blocks":["198.18.0.0/26"]}', "/s/blocks.json")).toThrow(/^\/s\/blocks.json: blocks\[0\]: expected/);
    expect(() => parseNodeBlocksFile('{"version":1,"blocks":[{"cidr":"198.18.0.0/24"},{"cidr":"198.18.0.64/26"}]}', "/s/blocks.json"))
      .toThrow(/blocks\[1\]\.cidr: 198.18.0.64\/26 overlaps blocks\[0\] \(198.18.0.0\/24\)/);
  });
});
