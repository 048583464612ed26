import { ageMs, humanDuration, renderTable, wholeSeconds } from "./format.ts";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test("ages read like kubectl's", () => {
  expect(humanDuration(0)).toBe("0s");
  expect(humanDuration(-1500)).toBe("0s"); // up to 2 s of clock skew is "now"
  expect(humanDuration(-5 * s)).toBe("<invalid>");
  expect(humanDuration(59 * s)).toBe("59s");
  expect(humanDuration(119 * s + 999)).toBe("119s");
  expect(humanDuration(5 * m + 3 * s)).toBe("5m3s");
  expect(humanDuration(4 * m)).toBe("4m");
  expect(humanDuration(10 * m + 30 * s)).toBe("10m");
  expect(humanDuration(179 * m)).toBe("179m");
  expect(humanDuration(3 * h + 5 * m)).toBe("3h5m");
  expect(humanDuration(5 * h)).toBe("5h");
  expect(humanDuration(47 * h)).toBe("47h");
  expect(humanDuration(2 * d + 3 * h)).toBe("2d3h");
  expect(humanDuration(3 * d)).toBe("3d");
  expect(humanDuration(400 * d)).toBe("400d");
  expect(humanDuration(3 * 365 * d + 10 * d)).toBe("3y10d");
  expect(humanDuration(10 * 365 * d)).toBe("10y");
});

test("ageMs and wholeSeconds handle missing and unreadable times", () => {
  const now = new Date("2026-03-01T12:00:00Z");
  expect(ageMs("2026-03-01T11:55:00Z", now)).toBe(5 * m);
  expect(ageMs(undefined, now)).toBeUndefined();
  expect(ageMs("", now)).toBeUndefined();
  expect(ageMs("yesterday", now)).toBeUndefined();
  expect(wholeSeconds(1999)).toBe(1);
  expect(wholeSeconds(undefined)).toBeUndefined();
});

test("tables pad every column but the last, three spaces apart, no trailing spaces", () => {
  const t = renderTable(["NAME", "CIDR", "NOTE"], [["a", "198.18.0.0/26", ""], ["long-name", "-", "x"]]);
  expect(t).toBe(["NAME        CIDR            NOTE", "a           198.18.0.0/26", "long-name   -               x", ""].join("\n"));
});

