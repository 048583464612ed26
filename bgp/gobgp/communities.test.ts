import { InvalidInputError } from "../../common/errors.ts";
import { formatCommunity, formatLargeCommunity, parseCommunity, parseLargeCommunity } from "./communities.ts";

describe("standard communities", () => {
  it("packs asn:value into one 32-bit number and back", () => {
    expect(parseCommunity("64512:100")).toBe(64512 * 65536 + 100);
    expect(formatCommunity(64512 * 65536 + 100)).toBe("64512:100");
    expect(parseCommunity("0:0")).toBe(0);
    expect(parseCommunity("65535:65535")).toBe(0xffffffff);
  });

  it("knows the well-known names both ways", () => {
    expect(parseCommunity("no-export")).toBe(0xffffff01);
    expect(parseCommunity("NO-ADVERTISE")).toBe(0xffffff02);
    expect(formatCommunity(0xffffff01)).toBe("no-export");
    expect(formatCommunity(0xffff0000)).toBe("graceful-shutdown");
  });

  it.each(["64512", "64512:100:1", "65536:1", "1:65536", "a:b", "", "-1:2"])("rejects %j naming the field", (text) => {
    expect(() => parseCommunity(text, "communities[0]")).toThrow(InvalidInputError);
    try {
      parseCommunity(text, "communities[0]");
    } catch (err) {
      expect((err as InvalidInputError).field).toBe("communities[0]");
    }
  });
});

describe("large communities", () => {
  it("parses and formats global:local1:local2 with 32-bit parts", () => {
    expect(parseLargeCommunity("4200000000:1:2")).toEqual({ globalAdmin: 4200000000, localData1: 1, localData2: 2 });
    expect(formatLargeCommunity({ globalAdmin: 64512, localData1: 0, localData2: 4294967295 })).toBe("64512:0:4294967295");
  });

  it.each(["1:2", "1:2:3:4", "4294967296:1:1", "x:1:1"])("rejects %j", (text) => {
    expect(() => parseLargeCommunity(text)).toThrow(InvalidInputError);
  });
});
