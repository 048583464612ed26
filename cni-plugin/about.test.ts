import { runtimeText } from "../common/host/runtime.ts";
import { aboutText, wantsAbout } from "./about.ts";

test("petrel --version names the program, the build and every spec version", () => {
  const text = aboutText(runtimeText());
  expect(text.split("\n")[0]).toMatch(/^petrel \S+$/);
  expect(text).toMatch(/^commit: +\S+$/m);
  expect(text).toMatch(/^built: +\S+$/m);
  expect(text).toContain("CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
});

test("only a person's --version without CNI_COMMAND prints it; a runtime's VERSION stays the spec's", () => {
  expect(wantsAbout(["bun", "petrel", "--version"], undefined)).toBe(true);
  expect(wantsAbout(["bun", "petrel", "--version"], "VERSION")).toBe(false);
  expect(wantsAbout(["bun", "petrel"], undefined)).toBe(false);
  expect(wantsAbout(["bun", "petrel"], "")).toBe(false);
});
