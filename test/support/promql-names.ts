/**
 * Metric names in PromQL expressions (the chart's dashboard and alerts) and the names the
 * programs declare (their prom-client registries), so that a test can say which names a query
 * uses that no program exports. Pure: no host access.
 *
 * Not a PromQL parser: it removes what cannot be a metric name (strings, label matchers, ranges,
 * grouping clauses, Grafana variables, Helm actions), then takes the identifiers that are not
 * functions (followed by `(`) or keywords. Enough for the chart's queries; the unit test beside
 * the chart checks it on the constructs they use.
 */
import type { Registry } from "prom-client";

const keywords = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "start", "end"]);

export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\{\{.*?\}\}/gs, " 0 ") // Helm actions (thresholds, selectors) in a template's text
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const rest = stripped.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(rest) || keywords.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The series names a registry exports: histograms as their _bucket, _sum and _count series. */
export async function declaredMetricNames(registry: Registry): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) out.add(m.name + s);
    else if (type === "summary") for (const s of ["", "_sum", "_count"]) out.add(m.name + s);
    else out.add(m.name);
  }
  return out;
}

/** Series Prometheus itself adds to every scrape target (not declared by any program). */
export const scrapeSeries: ReadonlySet<string> = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);

export interface GrafanaPanel { type?: string; title?: string; datasource?: { uid?: string }; targets?: { expr?: string; refId?: string }[]; panels?: GrafanaPanel[] }
export interface GrafanaDashboard { uid?: string; title?: string; panels?: GrafanaPanel[]; templating?: { list?: { type?: string; query?: unknown; definition?: string }[] } }

/** Every query of a Grafana dashboard: panel targets (rows included) and label_values() variables. */
export function dashboardQueries(d: GrafanaDashboard): string[] {
  const out: string[] = [];
  const walk = (panels: readonly GrafanaPanel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr !== undefined) out.push(t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(d.panels ?? []);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query ?? v.definition ?? "";
    // label_values(metric, label) / label_values(label): the metric is the first argument.
    const lv = /^\s*label_values\(\s*([^,)]+?)\s*,/.exec(q);
    out.push(lv?.[1] ?? q);
  }
  return out;
}

/** The `expr:` values of a PrometheusRule's text (single-line, or a `|`/`|-` block). */
export function ruleExpressions(yamlText: string): string[] {
  const lines = yamlText.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i] ?? "");
    if (m === null) continue;
    const [, indent = "", value = ""] = m;
    if (!/^[|>][-+]?\s*$/.test(value)) {
      out.push(value);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && ((lines[i + 1] ?? "").trim() === "" || (lines[i + 1] ?? "").search(/\S/) > indent.length)) block.push(lines[++i] ?? "");
    out.push(block.join("\n"));
  }
  return out;
}
