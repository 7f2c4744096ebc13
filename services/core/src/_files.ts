import { Storage, type File } from "@google-cloud/storage";
import { serviceEnvironment } from "@pulsura/kit";
import { z } from "zod";

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(1, `${name} must be at least 1`);

/**
 * What the infrastructure gives the core service for files (the files bucket). All or none: a stack without the
 * bucket starts, and the files handlers then fail (500) naming the variables.
 */
export const filesEnvironment = serviceEnvironment(
  z.object({
    PULSURA_FILES_BUCKET: z.string({ error: "PULSURA_FILES_BUCKET is required (the files bucket's name)" }).regex(
      /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/,
      "PULSURA_FILES_BUCKET must be a bucket name (https://cloud.google.com/storage/docs/buckets#naming)",
    ),
    PULSURA_UPLOAD_CONTENT_TYPES: z
      .string({ error: "PULSURA_UPLOAD_CONTENT_TYPES is required (comma-separated media types clients may upload)" })
      .transform((value) => value.split(",").map((type) => type.trim().toLowerCase()).filter(Boolean))
      .refine((types) => types.length > 0, "PULSURA_UPLOAD_CONTENT_TYPES must name at least one media type")
      .refine(
        (types) => types.every((type) => /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(type)),
        "PULSURA_UPLOAD_CONTENT_TYPES must be media types like image/png, separated by commas",
      ),
    // GraphQL Int (the action's size argument) is 32-bit.
    PULSURA_UPLOAD_MAX_BYTES: positiveInt("PULSURA_UPLOAD_MAX_BYTES").max(2147483647, "PULSURA_UPLOAD_MAX_BYTES must be at most 2147483647"),
    // V4 signed URLs live at most 7 days (https://cloud.google.com/storage/docs/access-control/signed-urls#expiration).
    PULSURA_UPLOAD_URL_SECONDS: positiveInt("PULSURA_UPLOAD_URL_SECONDS").max(604800, "PULSURA_UPLOAD_URL_SECONDS must be at most 604800 (7 days)"),
    PULSURA_DOWNLOAD_URL_SECONDS: positiveInt("PULSURA_DOWNLOAD_URL_SECONDS").max(604800, "PULSURA_DOWNLOAD_URL_SECONDS must be at most 604800 (7 days)"),
  }),
  { feature: "files" },
);

/** Pending uploads live under this prefix (a lifecycle rule deletes what is left after a day). */
export const uploadPrefix = "uploads/";

let storage: Storage | undefined;

/**
 * The files bucket. Application Default Credentials: on Cloud Run the service's own account, with no key, so
 * getSignedUrl signs through the IAM Credentials signBlob API as that account (google-auth-library's sign()).
 */
export function filesBucket() {
  storage ??= new Storage();
  return storage.bucket(filesEnvironment().PULSURA_FILES_BUCKET);
}

/** The object of a files row, confirmed (`<object_path>`) or pending (`uploads/<object_path>`). */
export function fileObject(objectPath: string, state: "pending" | "uploaded"): File {
  return filesBucket().file(state === "pending" ? `${uploadPrefix}${objectPath}` : objectPath);
}

/** Cloud Storage's 404 (the object is gone already). */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 404;
}
