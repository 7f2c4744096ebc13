/**
 * Cloud Storage buckets. Names are global: the plan can check their form and uniqueness in the stack, never that
 * nobody else in the world already owns the name.
 */
import { nameOf, show, uniqueRule, type FidelityRule } from "./rule";

const BUCKET = "gcp:storage/bucket:Bucket";
// Bucket naming requirements. The provider dropped its client-side copy of them in v6.47.0 ("same validations being
// performed on API"), so only the API refuses a bad name.
const NAMING_SOURCE = "https://cloud.google.com/storage/docs/buckets#naming";

/** Problems of a bucket name under the documented naming requirements. */
function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) problems.push("only lowercase letters, digits, -, _ and ., starting and ending with a letter or digit");
  const dotted = name.includes(".");
  if (name.length < 3 || name.length > (dotted ? 222 : 63)) problems.push(`3-63 characters (222 with dots, each part at most 63): ${name.length}`);
  if (dotted && name.split(".").some((part) => part.length > 63)) problems.push("each dot-separated part at most 63 characters");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) problems.push("not an IP address");
  if (name.startsWith("goog")) problems.push('no "goog" prefix');
  if (/g[o0]{2}g[l1]e/.test(name)) problems.push('no "google" or close misspellings');
  return problems;
}

export const storageRules: FidelityRule[] = [
  {
    id: "storage/bucket-name",
    types: [BUCKET],
    field: "name",
    constraint: 'lowercase letters, digits, -, _, .; 3-63 characters (222 dotted); not an IP; no "goog" prefix or "google"',
    source: NAMING_SOURCE,
    check(resource) {
      const name = nameOf(resource);
      if (name === undefined) return [];
      const problems = bucketNameProblems(name);
      return problems.length ? [`got ${show(name)}: ${problems.join("; ")}`] : [];
    },
  },
  uniqueRule({
    id: "storage/bucket-name-unique",
    types: [BUCKET],
    field: "name",
    source: NAMING_SOURCE,
    read: (r) => nameOf(r),
    scope: () => "global",
    scopeName: "global bucket namespace (this stack; names others own are not visible offline)",
  }),
];
