import { resource } from "../support";
import type { PolicyCases } from "./types";

const channel = "projects/p/notificationChannels/1";
const alert = (filter: string, channels: string[] = [channel]) =>
  resource("gcp:monitoring/alertPolicy:AlertPolicy", { combiner: "OR", enabled: true, notificationChannels: channels, conditions: [{ displayName: "c", conditionThreshold: { filter } }] });
const uptime = () => resource("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig", { period: "60s" });
const UPTIME = 'metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url"';
const ERRORS = 'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND metric.labels.response_code_class="5xx"';
const DATABASE = 'metric.type="cloudsql.googleapis.com/database/cpu/utilization" AND resource.type="cloudsql_database"';

export const monitoringCases: PolicyCases = {
  "monitoring-alerts-notify": {
    pass: [uptime(), alert(UPTIME), alert(ERRORS), alert(DATABASE)],
    // The database alert notifies nobody (no alertEmail), and nothing alerts on availability.
    fail: [uptime(), alert(ERRORS), alert(DATABASE, [])],
    message: /no alert policy on availability|notifies no channel/,
  },
};
