import { REQUIRED_DATABASE_FLAGS } from "../../../policy/rules/database";
import { resource } from "../support";
import type { PolicyCases, PolicyCase } from "./types";

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";

/** A Cloud SQL instance as pulsura's prod stack declares it. */
function goodSettings(): Record<string, unknown> {
  return {
    tier: "db-custom-2-7680",
    availabilityType: "REGIONAL",
    deletionProtectionEnabled: true,
    ipConfiguration: { ipv4Enabled: false, privateNetwork: "projects/p/global/networks/vpc", sslMode: "ENCRYPTED_ONLY", authorizedNetworks: [] },
    backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true, backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" } },
    maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
    insightsConfig: { queryInsightsEnabled: true, recordClientAddress: false },
    databaseFlags: REQUIRED_DATABASE_FLAGS.map(({ flag, allowed }) => ({ name: flag, value: allowed[0] })),
  };
}

function instance(change: (settings: Record<string, any>, args: Record<string, any>) => void = () => {}, protect = true) {
  const settings = goodSettings() as Record<string, any>;
  const args: Record<string, any> = { databaseVersion: "POSTGRES_17", deletionProtection: true, settings };
  change(settings, args);
  return resource(INSTANCE, args, { protect });
}

function instanceCase(change: (settings: Record<string, any>, args: Record<string, any>) => void, message: RegExp, protect = true): PolicyCase {
  return { pass: [instance()], fail: [instance(change, protect)], message };
}

const flagCases: PolicyCases = Object.fromEntries(
  REQUIRED_DATABASE_FLAGS.map(({ flag }) => [
    `cloudsql-flag-${flag.replace(/[._]/g, "-")}`,
    instanceCase((s) => (s.databaseFlags = s.databaseFlags.filter((f: { name: string }) => f.name !== flag)), new RegExp(`database flag ${flag.replace(/\./g, "\\.")} is not set`)),
  ]),
);

export const databaseCases: PolicyCases = {
  "cloudsql-no-public-ip": instanceCase((s) => (s.ipConfiguration.ipv4Enabled = true), /ipv4Enabled must be false/),
  "cloudsql-private-network": instanceCase((s) => delete s.ipConfiguration.privateNetwork, /privateNetwork must name the VPC/),
  "cloudsql-no-authorized-networks": instanceCase((s) => (s.ipConfiguration.authorizedNetworks = [{ value: "203.0.113.7/32" }]), /authorizedNetworks must be empty/),
  "cloudsql-ssl-required": instanceCase((s) => (s.ipConfiguration.sslMode = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"), /sslMode is ALLOW_UNENCRYPTED_AND_ENCRYPTED/),
  "cloudsql-automated-backups": instanceCase((s) => (s.backupConfiguration.backupRetentionSettings.retainedBackups = 3), /retainedBackups is 3; expected at least 7/),
  "cloudsql-point-in-time-recovery": instanceCase((s) => (s.backupConfiguration.pointInTimeRecoveryEnabled = false), /pointInTimeRecoveryEnabled must be true/),
  "cloudsql-high-availability": instanceCase((s) => (s.availabilityType = "ZONAL"), /availabilityType is ZONAL; expected REGIONAL/),
  "cloudsql-dedicated-core": instanceCase((s) => (s.tier = "db-g1-small"), /tier db-g1-small is shared-core/),
  "cloudsql-deletion-protection": instanceCase(() => {}, /the protect resource option must be set/, false),
  "cloudsql-maintenance-window": instanceCase((s) => (s.maintenanceWindow.updateTrack = "canary"), /updateTrack stable/),
  "cloudsql-query-insights": instanceCase((s) => (s.insightsConfig.recordClientAddress = true), /must not record client addresses/),
  "cloudsql-no-postgres-user": {
    pass: [resource("gcp:sql/user:User", { name: "hasura", instance: "db" })],
    fail: [resource("gcp:sql/user:User", { name: "postgres", instance: "db" })],
    message: /built-in postgres user/,
  },
  ...flagCases,
};
