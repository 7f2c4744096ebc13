/**
 * Regenerates infra/bootstrap/role-permissions.json, the dated table of the permissions in each role the bootstrap
 * grants (or the deployer may grant), which infra/bootstrap/escalation.ts analyses.
 *
 *   npx tsx scripts/bootstrap-role-permissions.ts --from <dir> [--commit <sha>] [--date <YYYY-MM-DD>] [--role roles/x]…
 *
 * <dir> holds one JSON file per role named after the role without "roles/" (run.admin.json), in the shape of the IAM
 * API's roles.get (includedPermissions, stage, title). Either of:
 * - the gcp/roles folder of a checkout of https://github.com/iann0036/iam-dataset (a daily export of roles.get): the
 *   commit and its date are read with git when the folder is in a work tree, or given with --commit and --date;
 * - `gcloud iam roles describe roles/run.admin --format=json > <dir>/run.admin.json` per role, with --date the day of
 *   the export.
 *
 * The roles written are the deployer's project roles, the roles it may grant, the bootstrap's own grants and their
 * planned successors (ROLES_BEYOND_DEPLOYER_ROLES), the forbidden roles that exist and the other roles the tests show
 * the analysis catches, every role already in the table (so earlier --role additions survive a refresh; delete an
 * entry by hand to drop it) and each --role.
 * Nothing is written when a role file is missing or malformed.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RolePermissionTable } from "../infra/bootstrap/escalation";
import { DEFAULT_GRANTABLE_PROJECT_ROLES, DEPLOYER_PROJECT_ROLES, FORBIDDEN_ROLES, PREVIEWER_PROJECT_ROLES } from "../infra/bootstrap/deployer-roles";
import { runCli, UsageError, type CliSpec } from "./lib/cli";
import { repoRoot } from "./lib/stack-files";

const TABLE_FILE = path.join(repoRoot, "infra", "bootstrap", "role-permissions.json");
const REFERENCE = "https://cloud.google.com/iam/docs/roles-permissions";
const REFRESH =
  "npx tsx scripts/bootstrap-role-permissions.ts --from <iam-dataset checkout>/gcp/roles (or a folder of `gcloud iam roles describe roles/X --format=json` outputs, with --date)";

/**
 * Roles the bootstrap grants outside DEPLOYER_PROJECT_ROLES (on the state bucket, the secrets key, the deployer
 * account), the ones that replace project-wide serviceAccountAdmin/serviceAccountUser, and the read-only roles a
 * previewer is made of.
 */
const ROLES_BEYOND_DEPLOYER_ROLES = [
  "roles/storage.objectAdmin",
  "roles/storage.objectViewer",
  "roles/cloudkms.cryptoKeyEncrypterDecrypter",
  "roles/cloudkms.cryptoKeyDecrypter",
  "roles/iam.workloadIdentityUser",
  "roles/iam.serviceAccountUser",
  "roles/iam.serviceAccountCreator",
  "roles/iam.serviceAccountDeleter",
  "roles/iam.serviceAccountViewer",
  "roles/iam.securityReviewer",
  "roles/serviceusage.serviceUsageViewer",
  "roles/compute.networkViewer",
  "roles/vpcaccess.viewer",
  "roles/cloudsql.viewer",
  "roles/secretmanager.viewer",
  "roles/artifactregistry.reader",
  "roles/run.viewer",
  "roles/cloudfunctions.viewer",
  "roles/firebase.viewer",
  "roles/identitytoolkit.viewer",
  "roles/storage.bucketViewer",
  "roles/browser",
];

/**
 * Forbidden roles the table leaves out: the basic roles are findings by name (escalation.ts BASIC_ROLES), and
 * roles/iam.securityAdmin is granted nowhere and would be a finding as a role missing from the table. Their lists
 * (6,000 to 13,600 permissions each) would make the table 1.8 MB.
 */
const UNLISTED_ROLES: readonly string[] = ["roles/owner", "roles/editor", "roles/viewer", "roles/iam.securityAdmin"];

/** Roles outside FORBIDDEN_ROLES that test/bootstrap/escalation.test.ts shows the analysis catches. */
const ROLES_OF_NEGATIVE_CASES = ["roles/storage.hmacKeyAdmin"];

const spec = {
  command: "npx tsx scripts/bootstrap-role-permissions.ts",
  summary: "Regenerates infra/bootstrap/role-permissions.json from a folder of role JSON files (iam-dataset or gcloud).",
  usage: ["--from <dir> [--commit <sha>] [--date <YYYY-MM-DD>] [--role roles/x]…"],
  options: {
    from: { type: "string", value: "<dir>", description: "folder of <role without roles/>.json files (iam-dataset gcp/roles, or gcloud outputs)" },
    commit: { type: "string", value: "<sha>", description: "the iam-dataset commit the files come from (read with git when <dir> is in a work tree)" },
    date: { type: "string", value: "<YYYY-MM-DD>", description: "the day the files were exported (the commit's date by default)" },
    role: { type: "string", multiple: true, value: "<roles/x>", description: "a further role to include" },
    out: { type: "string", value: "<file>", description: "write here instead of infra/bootstrap/role-permissions.json" },
  },
  notes: "Nothing is written when a role file is missing or malformed.",
} as const satisfies CliSpec;

interface RoleFile {
  title: string;
  stage: string;
  includedPermissions: string[];
}

function readRoleFile(dir: string, role: string): RoleFile | undefined {
  const file = path.join(dir, `${role.replace(/^roles\//, "")}.json`);
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); nothing was written`);
  }
  const { title, stage, includedPermissions, name } = parsed as Partial<RoleFile> & { name?: unknown };
  if (typeof title !== "string" || typeof stage !== "string" || !Array.isArray(includedPermissions) || !includedPermissions.every((p) => typeof p === "string")) {
    throw new Error(`${file}: expected the roles.get shape { title, stage, includedPermissions: string[] }, got keys ${Object.keys(parsed as object).join(", ")}; nothing was written`);
  }
  if (name !== undefined && name !== role) throw new Error(`${file}: describes ${JSON.stringify(name)}, expected ${role}; nothing was written`);
  return { title, stage, includedPermissions };
}

/** The commit and its date when `dir` is in a git work tree. */
function gitSnapshot(dir: string): { commit: string; date: string } | undefined {
  try {
    const [commit, date] = execFileSync("git", ["-C", dir, "log", "-1", "--format=%H%n%cI"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
    return commit && date ? { commit, date: date.slice(0, 10) } : undefined;
  } catch {
    return undefined;
  }
}

function existingRoles(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return Object.keys((JSON.parse(fs.readFileSync(file, "utf8")) as RolePermissionTable).roles);
}

runCli(spec, ({ values }) => {
  const dir = values.from;
  if (!dir) throw new UsageError("name the folder of role files with --from <dir>");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--from ${dir}: not a folder; nothing was written`);
  for (const role of values.role ?? []) {
    if (!/^roles\/[A-Za-z0-9_.]+$/.test(role)) throw new UsageError(`--role ${JSON.stringify(role)}: expected a predefined role such as roles/run.viewer`);
  }
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new UsageError(`--date ${JSON.stringify(values.date)}: expected YYYY-MM-DD`);
  const git = gitSnapshot(dir);
  const commit = values.commit ?? git?.commit;
  const date = values.date ?? (commit === git?.commit ? git?.date : undefined);
  if (!date) throw new UsageError("give --date <YYYY-MM-DD>, the day the role files were exported (it is read from git only when <dir> is in a work tree)");

  const out = values.out ?? TABLE_FILE;
  const required = [...DEPLOYER_PROJECT_ROLES.map(({ role }) => role), ...PREVIEWER_PROJECT_ROLES.map(({ role }) => role), ...DEFAULT_GRANTABLE_PROJECT_ROLES, ...ROLES_BEYOND_DEPLOYER_ROLES, ...ROLES_OF_NEGATIVE_CASES, ...existingRoles(out), ...(values.role ?? [])];
  const roles: RolePermissionTable["roles"] = {};
  const missing: string[] = [];
  for (const role of [...new Set([...required, ...FORBIDDEN_ROLES])].filter((r) => !UNLISTED_ROLES.includes(r)).sort()) {
    const file = readRoleFile(dir, role);
    if (file) roles[role] = { title: file.title, stage: file.stage, permissions: [...new Set(file.includedPermissions)].sort() };
    // A forbidden role that Google has withdrawn needs no entry: nothing can grant it.
    else if (!FORBIDDEN_ROLES.includes(role)) missing.push(role);
  }
  if (missing.length > 0) {
    throw new Error(`no role file in ${dir} for ${missing.join(", ")} (expected ${missing.map((role) => `${role.replace(/^roles\//, "")}.json`).join(", ")}); nothing was written`);
  }

  const table: RolePermissionTable = {
    readOn: new Date().toISOString().slice(0, 10),
    snapshot: commit ? { commit, date } : { date },
    source: commit ? `https://github.com/iann0036/iam-dataset/tree/${commit}/gcp/roles` : `gcloud iam roles describe --format=json, exported ${date}`,
    reference: REFERENCE,
    refresh: REFRESH,
    roles,
  };
  fs.writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}: ${Object.keys(roles).length} roles from ${table.source}\n`);
  return 0;
});
