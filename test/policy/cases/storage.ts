import { resource } from "../support";
import type { PolicyCases } from "./types";

const BUCKET = "gcp:storage/bucket:Bucket";
const bucket = (inputs: Record<string, unknown>) => resource(BUCKET, { name: "p-files", uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", ...inputs });
const cors = (origins: string[]) => [{ origins, methods: ["GET", "PUT"], responseHeaders: ["Content-Type"], maxAgeSeconds: 3600 }];
const grant = (member: string) => resource("gcp:storage/bucketIAMMember:BucketIAMMember", { bucket: "p-files", role: "roles/storage.objectViewer", member });

export const storageCases: PolicyCases = {
  "storage-no-public-members": {
    pass: [grant("serviceAccount:core@p.iam.gserviceaccount.com")],
    fail: [grant("allUsers"), grant("allAuthenticatedUsers")],
    message: /grants all(Authenticated)?Users on a bucket/,
  },
  "storage-cors-exact-origins": {
    pass: [bucket({ cors: cors(["https://app.example.com"]) })],
    fail: [bucket({ cors: cors(["*"]) }), bucket({ cors: cors(["http://localhost:*"]) })],
    message: /allows the CORS origin/,
  },
  "storage-files-recoverable": {
    pass: [bucket({ cors: cors(["https://app.example.com"]), versioning: { enabled: true }, softDeletePolicy: { retentionDurationSeconds: 7 * 86400 } }), bucket({ versioning: { enabled: false } })],
    fail: [bucket({ cors: cors(["https://app.example.com"]), versioning: { enabled: false }, softDeletePolicy: { retentionDurationSeconds: 0 } })],
    message: /must enable versioning|must keep deleted objects 7 days or more/,
  },
};
