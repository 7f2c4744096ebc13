import type { PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

const BUCKET = "gcp:storage/bucket:Bucket";
const BUCKET_GRANTS = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];
const SECONDS_PER_DAY = 86_400;

// Policies read plain input values; a loose view keeps the checks short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const buckets = (resources: readonly PolicyResource[]) => resources.filter((r) => r.type === BUCKET);
/** The bucket of user files: the one with a CORS policy (the functions' source bucket has none). */
const isFilesBucket = (bucket: PolicyResource) => (((bucket.props as Loose).cors ?? []) as unknown[]).length > 0;

// Uniform access and public access prevention on every bucket: "storage-bucket-private" (./functions.ts).
export const storagePolicies: PulsuraPolicy[] = [
  {
    name: "storage-no-public-members",
    description: "No bucket grant to allUsers or allAuthenticatedUsers: files are reached through signed URLs only.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const r of args.resources.filter((g) => BUCKET_GRANTS.includes(g.type))) {
        const props = r.props as { member?: string; members?: string[] };
        const members = [...(props.member ? [props.member] : []), ...(props.members ?? [])];
        for (const member of members.filter((m) => PUBLIC_MEMBERS.includes(m))) reportViolation(`${r.name} grants ${member} on a bucket`, r.urn);
      }
    },
  },
  {
    name: "storage-cors-exact-origins",
    description: "A bucket's CORS origins are exact web origins, never * or a pattern.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const bucket of buckets(args.resources)) {
        for (const rule of ((bucket.props as Loose).cors ?? []) as Loose[]) {
          for (const origin of (rule.origins ?? []) as string[]) if (origin.includes("*")) reportViolation(`bucket ${bucket.name} allows the CORS origin ${origin}`, bucket.urn);
        }
      }
    },
  },
  {
    name: "storage-files-recoverable",
    description: "The files bucket keeps overwritten and deleted files: versioning on and soft delete of at least 7 days.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const bucket of buckets(args.resources).filter(isFilesBucket)) {
        const props = bucket.props as Loose;
        if (props.versioning?.enabled !== true) reportViolation(`bucket ${bucket.name} must enable versioning`, bucket.urn);
        if (!(Number(props.softDeletePolicy?.retentionDurationSeconds ?? 0) >= 7 * SECONDS_PER_DAY)) reportViolation(`bucket ${bucket.name} must keep deleted objects 7 days or more (softDeletePolicy)`, bucket.urn);
      }
    },
  },
];
