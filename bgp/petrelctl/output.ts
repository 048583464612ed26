/**
 * How a report leaves petrelctl, by -o: the text table (table, wide) or the report itself as
 * JSON or YAML (the same document, so scripts can switch between them). Pure.
 */
import { stringify } from "yaml";
import type { OutputFormat } from "./options.ts";

/** @param text the table rendering, given whether -o wide was asked */
export function formatReport(format: OutputFormat, report: unknown, text: (wide: boolean) => string): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "yaml":
      // JSON first: drops undefined fields the same way for both formats.
      return stringify(JSON.parse(JSON.stringify(report)) as unknown, { lineWidth: 0 });
    case "wide":
      return text(true);
    case "table":
      return text(false);
  }
}
