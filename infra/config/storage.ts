/**
 * `pulsura:storage`: the files bucket (private uploads and downloads through short-lived V4 signed URLs, issue 18) and
 * what the core service may sign, with their defaults per environment. infra/config.ts reads it with the rest of the
 * stack config (every problem named by its key); infra/components/storage.ts and the core service (through its env
 * vars) receive the resolved {@link StorageConfig} through index.ts.
 */
import { z } from "zod";
import type { ConfigProblem } from "../config";

/** Where browsers PUT uploads before the files service confirms them (and moves them to their final path). */
export const PENDING_UPLOAD_PREFIX = "uploads/";

/**
 * The core service's push handler that receives OBJECT_FINALIZE notifications (services/core/src/push/
 * storage-object-finalized.ts; the kit serves `src/push/<name>.ts` at `POST /push/<name>`).
 */
export const OBJECT_FINALIZED_HANDLER = "storage-object-finalized";
export const OBJECT_FINALIZED_PATH = `/push/${OBJECT_FINALIZED_HANDLER}`;

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * The largest upload the core service may sign: 5 GiB, one PUT of a signed URL (no resumable session, no parallel
 * composite upload). Cloud Storage itself stores objects up to 5 TiB (https://cloud.google.com/storage/quotas#objects);
 * 5 GiB is pulsura's ceiling for a single browser PUT, not a Google limit.
 */
export const MAX_UPLOAD_BYTES = 5 * GIB;

/** A V4 signed URL is valid for at most 7 days (604800 s): https://cloud.google.com/storage/docs/access-control/signed-urls#types */
export const MAX_SIGNED_URL_MINUTES = 7 * 24 * 60;

/**
 * Soft delete keeps deleted objects restorable for 7 to 90 days, or is off with 0
 * (https://cloud.google.com/storage/docs/soft-delete#retention-duration).
 */
export const SOFT_DELETE_MIN_DAYS = 7;
export const SOFT_DELETE_MAX_DAYS = 90;

/** A MIME type `type/subtype` as browsers send it in Content-Type (RFC 6838 restricted names, lower case). */
const contentType = z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/, "a MIME type such as image/png (lower case, no parameters)");

/** An exact web origin (`scheme://host[:port]`): Cloud Storage compares origins as given, so no wildcard. */
const exactOrigin = z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, "an exact origin such as https://app.example.com or http://localhost:5000 (no path, no *)");

const minutes = (what: string) =>
  z
    .number()
    .int()
    .min(1, `${what}: at least 1 minute`)
    .max(MAX_SIGNED_URL_MINUTES, `${what}: at most ${MAX_SIGNED_URL_MINUTES} minutes (7 days, the V4 signed URL limit)`);

/** What a stack file may say under `pulsura:storage`; every field optional. */
export const storageInput = z
  .object({
    /** Content types an upload URL may be signed for (the service signs Content-Type, so the PUT must send it). */
    allowedContentTypes: z.array(contentType).min(1).max(50),
    /** Largest upload the service signs (x-goog-content-length-range), in bytes. @default 10 MiB */
    maxUploadBytes: z.number().int().min(1).max(MAX_UPLOAD_BYTES, `at most ${MAX_UPLOAD_BYTES} bytes (5 GiB, pulsura's single-PUT ceiling)`),
    /** How long an upload URL stays valid. @default 15 */
    uploadUrlMinutes: minutes("uploadUrlMinutes"),
    /** How long a download URL stays valid. @default 5 */
    downloadUrlMinutes: minutes("downloadUrlMinutes"),
    /** Keep overwritten and deleted objects as noncurrent versions (required in prod). */
    versioning: z.boolean(),
    /** Days a deleted object stays restorable: 0 (off) or 7-90 (required in prod). @default dev 0, prod 7 */
    softDeleteDays: z
      .number()
      .int()
      .refine((days) => days === 0 || (days >= SOFT_DELETE_MIN_DAYS && days <= SOFT_DELETE_MAX_DAYS), `0 (off) or ${SOFT_DELETE_MIN_DAYS}-${SOFT_DELETE_MAX_DAYS} days`),
    /** Days after which a noncurrent version is deleted (with versioning). @default 30 */
    noncurrentVersionDays: z.number().int().min(1).max(3650),
    /** Exact origins beside the stack's domains and Hosting sites that may upload and download from a browser (dev tools). */
    extraCorsOrigins: z.array(exactOrigin).max(20),
  })
  .partial()
  .strict();

export type StorageInput = z.infer<typeof storageInput>;

/** The resolved settings of a stack's files bucket and of the URLs the core service signs. */
export interface StorageConfig {
  allowedContentTypes: string[];
  maxUploadBytes: number;
  uploadUrlMinutes: number;
  downloadUrlMinutes: number;
  versioning: boolean;
  softDeleteDays: number;
  noncurrentVersionDays: number;
  extraCorsOrigins: string[];
}

const SHARED_STORAGE_DEFAULTS = {
  allowedContentTypes: ["image/jpeg", "image/png", "image/webp", "application/pdf"],
  maxUploadBytes: 10 * MIB,
  uploadUrlMinutes: 15,
  downloadUrlMinutes: 5,
  noncurrentVersionDays: 30,
  extraCorsOrigins: [],
};

/** Defaults per environment: dev deletes for good; prod keeps versions and restorable deletes. */
export const STORAGE_DEFAULTS: Record<"dev" | "prod", StorageConfig> = {
  dev: { ...SHARED_STORAGE_DEFAULTS, versioning: false, softDeleteDays: 0 },
  prod: { ...SHARED_STORAGE_DEFAULTS, versioning: true, softDeleteDays: 7 },
};

/** The storage settings of a stack: its input over the environment's defaults. */
export function resolveStorage(environment: "dev" | "prod", input: StorageInput = {}): StorageConfig {
  const defaults = STORAGE_DEFAULTS[environment];
  return { ...defaults, ...input, allowedContentTypes: [...new Set(input.allowedContentTypes ?? defaults.allowedContentTypes)], extraCorsOrigins: input.extraCorsOrigins ?? [] };
}

/** Rules across fields and environments that the schema cannot say, each problem named by its key. */
export function storageProblems(environment: "dev" | "prod" | undefined, input: StorageInput = {}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (environment === "prod") {
    if (input.versioning === false) problems.push({ key: "pulsura:storage.versioning", got: "false", expected: "true in prod: an overwritten or deleted user file must stay recoverable" });
    if (input.softDeleteDays === 0) problems.push({ key: "pulsura:storage.softDeleteDays", got: "0", expected: `${SOFT_DELETE_MIN_DAYS}-${SOFT_DELETE_MAX_DAYS} in prod (soft delete on)` });
    const local = (input.extraCorsOrigins ?? []).filter((origin) => origin.startsWith("http://") || /\/\/localhost(:|$)/.test(origin));
    if (local.length > 0) problems.push({ key: "pulsura:storage.extraCorsOrigins", got: JSON.stringify(local), expected: "https origins only in prod, no localhost" });
  }
  return problems;
}

/**
 * What the files service may sign, as its environment (services/core/src/_files.ts reads these): the deployed service
 * and npm run dev's both get them from here.
 */
export function signingEnvironment(storage: StorageConfig): Record<string, string> {
  return {
    PULSURA_UPLOAD_CONTENT_TYPES: storage.allowedContentTypes.join(","),
    PULSURA_UPLOAD_MAX_BYTES: String(storage.maxUploadBytes),
    PULSURA_UPLOAD_URL_SECONDS: String(storage.uploadUrlMinutes * 60),
    PULSURA_DOWNLOAD_URL_SECONDS: String(storage.downloadUrlMinutes * 60),
  };
}
