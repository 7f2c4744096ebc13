/**
 * The parts of the Dashboard API's JSON that pulsura uses, strict: a misspelt field fails here instead of at
 * `pulumi up` (https://cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards#Dashboard).
 */
import { z } from "zod";

export const DASHBOARD_SOURCE = "https://cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards";

const duration = z.string().regex(/^\d+(\.\d{1,9})?s$/, "a duration such as 60s");

export const aggregationSchema = z
  .object({
    alignmentPeriod: duration,
    perSeriesAligner: z.string().regex(/^ALIGN_[A-Z0-9_]+$/),
    crossSeriesReducer: z.string().regex(/^REDUCE_[A-Z0-9_]+$/),
    groupByFields: z.array(z.string()),
  })
  .partial()
  .strict();

const timeSeriesFilter = z.object({ filter: z.string().min(1), aggregation: aggregationSchema, secondaryAggregation: aggregationSchema }).partial({ aggregation: true, secondaryAggregation: true }).strict();
const ratioPart = z.object({ filter: z.string().min(1), aggregation: aggregationSchema }).partial({ aggregation: true }).strict();
const timeSeriesFilterRatio = z.object({ numerator: ratioPart, denominator: ratioPart, secondaryAggregation: aggregationSchema }).partial({ secondaryAggregation: true }).strict();

const timeSeriesQuery = z
  .object({ timeSeriesFilter, timeSeriesFilterRatio, timeSeriesQueryLanguage: z.string(), prometheusQuery: z.string(), unitOverride: z.string() })
  .partial()
  .strict()
  .refine((q) => [q.timeSeriesFilter, q.timeSeriesFilterRatio, q.timeSeriesQueryLanguage, q.prometheusQuery].filter((x) => x !== undefined).length === 1, "exactly one of timeSeriesFilter, timeSeriesFilterRatio, timeSeriesQueryLanguage, prometheusQuery");

const dataSet = z
  .object({
    timeSeriesQuery,
    plotType: z.enum(["LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"]),
    legendTemplate: z.string(),
    minAlignmentPeriod: duration,
    targetAxis: z.enum(["Y1", "Y2"]),
  })
  .partial({ plotType: true, legendTemplate: true, minAlignmentPeriod: true, targetAxis: true })
  .strict();

const threshold = z
  .object({ label: z.string(), value: z.number(), color: z.enum(["YELLOW", "RED"]), direction: z.enum(["ABOVE", "BELOW"]), targetAxis: z.enum(["Y1", "Y2"]) })
  .partial({ label: true, color: true, direction: true, targetAxis: true })
  .strict();

const axis = z.object({ label: z.string(), scale: z.enum(["LINEAR", "LOG10"]) }).partial().strict();

const xyChart = z
  .object({ dataSets: z.array(dataSet).min(1), timeshiftDuration: duration, thresholds: z.array(threshold), xAxis: axis, yAxis: axis, y2Axis: axis })
  .partial({ timeshiftDuration: true, thresholds: true, xAxis: true, yAxis: true, y2Axis: true })
  .strict();

const widget = z.object({ title: z.string(), xyChart }).partial({ title: true }).strict();

const tile = z
  .object({ xPos: z.number().int().min(0), yPos: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1), widget })
  .strict();

export const dashboardSchema = z
  .object({
    displayName: z.string().min(1),
    mosaicLayout: z.object({ columns: z.number().int().min(1).max(48), tiles: z.array(tile) }).strict(),
    labels: z.record(z.string(), z.string()),
  })
  .partial({ labels: true })
  .strict()
  .superRefine((dashboard, ctx) => {
    // Tiles must fit the grid: xPos + width at most the columns.
    dashboard.mosaicLayout.tiles.forEach((t, i) => {
      if (t.xPos + t.width > dashboard.mosaicLayout.columns) ctx.addIssue({ code: "custom", path: ["mosaicLayout", "tiles", i], message: `xPos ${t.xPos} + width ${t.width} exceeds ${dashboard.mosaicLayout.columns} columns` });
    });
  });

export type DashboardJson = z.infer<typeof dashboardSchema>;

/** Every filter of a dashboard with the aggregation applied to it. */
export function dashboardFilters(dashboard: DashboardJson): Array<{ filter: string; aggregation?: z.infer<typeof aggregationSchema> }> {
  return dashboard.mosaicLayout.tiles.flatMap((t) =>
    t.widget.xyChart.dataSets.flatMap((d) => {
      const q = d.timeSeriesQuery;
      if (q.timeSeriesFilter) return [{ filter: q.timeSeriesFilter.filter, aggregation: q.timeSeriesFilter.aggregation }];
      if (q.timeSeriesFilterRatio) return [q.timeSeriesFilterRatio.numerator, q.timeSeriesFilterRatio.denominator];
      return [];
    }),
  );
}
