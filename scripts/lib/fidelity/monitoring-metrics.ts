/**
 * The Google Cloud metric types pulsura's alerts and dashboard read, with their kind and value type, and which
 * aligners and reducers the Monitoring API accepts for which kinds and value types. Read on {@link METRICS_READ_ON}
 * from Google's metric lists; a metric used anywhere else fails the fidelity rules until it is added here.
 */

export const METRICS_READ_ON = "2026-12-02";

export type MetricKind = "GAUGE" | "DELTA" | "CUMULATIVE";
export type ValueType = "BOOL" | "INT64" | "DOUBLE" | "STRING" | "DISTRIBUTION";

export interface MetricInfo {
  kind: MetricKind;
  valueType: ValueType;
  /** Monitored resource types the metric is written for. */
  resources: readonly string[];
  source: string;
}

const GCP_P_Z = "https://cloud.google.com/monitoring/api/metrics_gcp_p_z";
const GCP_A_H = "https://cloud.google.com/monitoring/api/metrics_gcp_a_h";
const GCP_I_O = "https://cloud.google.com/monitoring/api/metrics_gcp_i_o";

export const KNOWN_METRICS: Readonly<Record<string, MetricInfo>> = {
  // Cloud Run ("run"): request_count labels response_code, response_code_class, route, configuration_name.
  "run.googleapis.com/request_count": { kind: "DELTA", valueType: "INT64", resources: ["cloud_run_revision"], source: GCP_P_Z },
  "run.googleapis.com/request_latencies": { kind: "DELTA", valueType: "DISTRIBUTION", resources: ["cloud_run_revision"], source: GCP_P_Z },
  // Cloud SQL ("cloudsql"): utilizations are fractions 0-1; num_backends is per database (label database).
  "cloudsql.googleapis.com/database/cpu/utilization": { kind: "GAUGE", valueType: "DOUBLE", resources: ["cloudsql_database"], source: GCP_A_H },
  "cloudsql.googleapis.com/database/memory/utilization": { kind: "GAUGE", valueType: "DOUBLE", resources: ["cloudsql_database"], source: GCP_A_H },
  "cloudsql.googleapis.com/database/disk/utilization": { kind: "GAUGE", valueType: "DOUBLE", resources: ["cloudsql_database"], source: GCP_A_H },
  "cloudsql.googleapis.com/database/postgresql/num_backends": { kind: "GAUGE", valueType: "INT64", resources: ["cloudsql_database"], source: GCP_A_H },
  // Cloud Functions ("cloudfunctions", 1st gen): label status = ok, error, timeout, crash, out of memory...
  "cloudfunctions.googleapis.com/function/execution_count": { kind: "DELTA", valueType: "INT64", resources: ["cloud_function"], source: GCP_A_H },
  // Uptime checks ("monitoring"): labels check_id, checker_location.
  "monitoring.googleapis.com/uptime_check/check_passed": { kind: "GAUGE", valueType: "BOOL", resources: ["uptime_url"], source: GCP_I_O },
};

/** Log-based metrics are user metrics: `logging.googleapis.com/user/<metric name>`, declared by a gcp.logging.Metric. */
export const USER_LOG_METRIC_PREFIX = "logging.googleapis.com/user/";

const AGGREGATION_SOURCE = "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies#aligner";
export { AGGREGATION_SOURCE };

const NUMERIC: readonly ValueType[] = ["INT64", "DOUBLE"];

/** Aligner → kinds and value types it accepts, and the value type it produces (undefined: same as input). */
export const ALIGNERS: Readonly<Record<string, { kinds: readonly MetricKind[]; values: readonly ValueType[]; output?: ValueType }>> = {
  ALIGN_NONE: { kinds: ["GAUGE", "DELTA", "CUMULATIVE"], values: ["BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"] },
  ALIGN_DELTA: { kinds: ["CUMULATIVE", "DELTA"], values: [...NUMERIC, "DISTRIBUTION"] },
  ALIGN_RATE: { kinds: ["CUMULATIVE", "DELTA"], values: NUMERIC, output: "DOUBLE" },
  ALIGN_INTERPOLATE: { kinds: ["GAUGE"], values: NUMERIC },
  ALIGN_NEXT_OLDER: { kinds: ["GAUGE"], values: ["BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"] },
  ALIGN_MIN: { kinds: ["GAUGE", "DELTA"], values: NUMERIC },
  ALIGN_MAX: { kinds: ["GAUGE", "DELTA"], values: NUMERIC },
  ALIGN_MEAN: { kinds: ["GAUGE", "DELTA"], values: NUMERIC, output: "DOUBLE" },
  ALIGN_COUNT: { kinds: ["GAUGE", "DELTA"], values: [...NUMERIC, "BOOL"], output: "INT64" },
  ALIGN_SUM: { kinds: ["GAUGE", "DELTA"], values: [...NUMERIC, "DISTRIBUTION"] },
  ALIGN_STDDEV: { kinds: ["GAUGE", "DELTA"], values: NUMERIC, output: "DOUBLE" },
  ALIGN_COUNT_TRUE: { kinds: ["GAUGE"], values: ["BOOL"], output: "INT64" },
  ALIGN_COUNT_FALSE: { kinds: ["GAUGE"], values: ["BOOL"], output: "INT64" },
  ALIGN_FRACTION_TRUE: { kinds: ["GAUGE"], values: ["BOOL"], output: "DOUBLE" },
  ALIGN_PERCENTILE_99: { kinds: ["GAUGE", "DELTA"], values: ["DISTRIBUTION"], output: "DOUBLE" },
  ALIGN_PERCENTILE_95: { kinds: ["GAUGE", "DELTA"], values: ["DISTRIBUTION"], output: "DOUBLE" },
  ALIGN_PERCENTILE_50: { kinds: ["GAUGE", "DELTA"], values: ["DISTRIBUTION"], output: "DOUBLE" },
  ALIGN_PERCENTILE_05: { kinds: ["GAUGE", "DELTA"], values: ["DISTRIBUTION"], output: "DOUBLE" },
  ALIGN_PERCENT_CHANGE: { kinds: ["GAUGE", "DELTA"], values: NUMERIC, output: "DOUBLE" },
};

/** Reducer → value types (after alignment) it accepts. */
export const REDUCERS: Readonly<Record<string, readonly ValueType[]>> = {
  REDUCE_NONE: ["BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"],
  REDUCE_MEAN: [...NUMERIC, "BOOL", "DISTRIBUTION"],
  REDUCE_MIN: NUMERIC,
  REDUCE_MAX: NUMERIC,
  REDUCE_SUM: [...NUMERIC, "DISTRIBUTION"],
  REDUCE_STDDEV: [...NUMERIC, "DISTRIBUTION"],
  REDUCE_COUNT: ["BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"],
  REDUCE_COUNT_TRUE: ["BOOL"],
  REDUCE_COUNT_FALSE: ["BOOL"],
  REDUCE_FRACTION_TRUE: ["BOOL"],
  REDUCE_PERCENTILE_99: [...NUMERIC, "DISTRIBUTION"],
  REDUCE_PERCENTILE_95: [...NUMERIC, "DISTRIBUTION"],
  REDUCE_PERCENTILE_50: [...NUMERIC, "DISTRIBUTION"],
  REDUCE_PERCENTILE_05: [...NUMERIC, "DISTRIBUTION"],
};

/** Problems of one aggregation on a metric of `info`: aligner and reducer valid for its kind and value type. */
export function aggregationProblems(info: Pick<MetricInfo, "kind" | "valueType">, aggregation: Record<string, unknown>): string[] {
  const aligner = (aggregation.perSeriesAligner as string | undefined) ?? "ALIGN_NONE";
  const reducer = (aggregation.crossSeriesReducer as string | undefined) ?? "REDUCE_NONE";
  const a = ALIGNERS[aligner];
  if (!a) return [`unknown perSeriesAligner ${JSON.stringify(aligner)}`];
  if (!a.kinds.includes(info.kind) || !a.values.includes(info.valueType)) return [`${aligner} does not take a ${info.kind} ${info.valueType} metric (it takes ${a.kinds.join("/")} ${a.values.join("/")})`];
  const reduced = REDUCERS[reducer];
  if (!reduced) return [`unknown crossSeriesReducer ${JSON.stringify(reducer)}`];
  if (reducer !== "REDUCE_NONE" && aligner === "ALIGN_NONE") return [`${reducer} needs a perSeriesAligner other than ALIGN_NONE`];
  const aligned = a.output ?? info.valueType;
  if (!reduced.includes(aligned)) return [`${reducer} does not take the ${aligned} values ${aligner} produces`];
  return [];
}
