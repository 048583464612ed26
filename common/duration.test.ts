import { parseDuration } from "./duration.ts";
import { InvalidInputError } from "./errors.ts";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["15s", 15_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1_500],
    ["0s", 0],
    ["10ms", 10],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text, "--x")).toBe(ms);
  });

  it.each(["", "15", "s", "-1s", "+1s", "1d", "5 m", " 5m", "5m ", "1m 30s", "1.s", ".5s", "5S", "1ms5", "five seconds", "1e3ms"])(
    "rejects %p naming the field",
    (text) => {
      expect(() => parseDuration(text, "--resync-period")).toThrow(InvalidInputError);
      expect(() => parseDuration(text, "--resync-period")).toThrow(`--resync-period: "${text}" is not a duration; write it like 500ms, 15s, 5m or 1m30s`);
    },
  );
});
