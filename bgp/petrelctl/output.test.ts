import { formatReport } from "./output.ts";

const report = { pools: [{ name: "default", cidr: "198.18.0.0/16", gone: undefined }] };
const table = (wide: boolean) => (wide ? "WIDE\n" : "TABLE\n");

test("json and yaml carry the same document; table and wide the renderings", () => {
  expect(JSON.parse(formatReport("json", report, table))).toEqual({ pools: [{ name: "default", cidr: "198.18.0.0/16" }] });
  expect(formatReport("yaml", report, table)).toBe("pools:\n  - name: default\n    cidr: 198.18.0.0/16\n");
  expect(formatReport("table", report, table)).toBe("TABLE\n");
  expect(formatReport("wide", report, table)).toBe("WIDE\n");
});
