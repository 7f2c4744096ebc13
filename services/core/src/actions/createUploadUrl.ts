import { ActionError, defineAction } from "@pulsura/kit";
import { z } from "zod";
import { fileObject, filesEnvironment } from "../_files";

/**
 * Creates a pending files row in the caller's personal scope or in an organization, and a V4 signed URL to PUT its
 * bytes to `uploads/<object_path>`. The URL is bound to the declared content type (signed Content-Type header) and
 * exact size (signed `x-goog-content-length-range: <size>,<size>`), so Cloud Storage refuses any other upload; the
 * bucket's finalize notification (push/storage-object-finalized) then confirms the row.
 */
export default defineAction({
  roles: ["user"],
  input: z.object({
    name: z.string().trim().min(1, "name must not be empty").max(255, "name must be at most 255 characters"),
    contentType: z.string().trim().toLowerCase().min(1).max(255),
    size: z.number().int("size must be a whole number of bytes").min(1, "size must be at least 1 byte").max(2147483647),
    organizationId: z.uuid().nullish(),
  }),
  async handler({ name, contentType, size, organizationId }, { caller, transaction }) {
    if (!caller.userId) throw new ActionError("uploading a file needs a signed-in user", { code: "access-denied", status: 403 });
    const userId = caller.userId;
    const files = filesEnvironment();
    if (!files.PULSURA_UPLOAD_CONTENT_TYPES.includes(contentType)) {
      throw new ActionError(`content type ${contentType} is not accepted; accepted: ${files.PULSURA_UPLOAD_CONTENT_TYPES.join(", ")}`, {
        code: "unsupported-content-type",
        status: 415,
      });
    }
    if (size > files.PULSURA_UPLOAD_MAX_BYTES) {
      throw new ActionError(`a file may be at most ${files.PULSURA_UPLOAD_MAX_BYTES} bytes; this one is ${size}`, { code: "file-too-large", status: 413 });
    }

    const created = await transaction(async (tx) => {
      // The files insert permission of role user (public_files.yaml), in SQL: the new row's scope has the caller holding
      // files.write in file_access_scopes (owner_id is the caller, as the permission's preset).
      const scope = organizationId ? `organization:${organizationId}` : `user:${userId}`;
      const allowed = await tx.query({
        name: "core-file-write-allowed",
        text: "select 1 from file_access_scopes where access_scope = $1 and user_id = $2 and permission = 'files.write'",
        values: [scope, userId],
      });
      if (allowed.rowCount === 0) {
        throw new ActionError(organizationId ? "you may not add files to this organization" : "you may not add files", {
          code: "access-denied",
          status: 403,
        });
      }
      try {
        const inserted = await tx.query<{ id: string; object_path: string }>({
          name: "core-insert-pending-file",
          text: `insert into files (owner_id, organization_id, name, content_type, size_bytes) values ($1, $2, $3, $4, $5)
                 returning id, object_path`,
          values: [userId, organizationId ?? null, name, contentType, size],
        });
        return inserted.rows[0]!;
      } catch (error) {
        const { code, constraint, message } = error as { code?: string; constraint?: string; message?: string };
        // The row quota trigger (files_per_owner) says what the limit is.
        if (code === "54000" && constraint === "files_per_owner_limit") throw new ActionError(message!, { code: "limit-reached", status: 409 });
        if (code === "23514" && constraint === "files_name_check") {
          throw new ActionError("name must not contain control characters", { code: "validation-failed", status: 400 });
        }
        if (code === "23514" && constraint === "files_content_type_check") {
          throw new ActionError(`content type ${contentType} is not a media type`, { code: "unsupported-content-type", status: 415 });
        }
        throw error;
      }
    });

    const expires = new Date(Date.now() + files.PULSURA_UPLOAD_URL_SECONDS * 1000);
    const [uploadUrl] = await fileObject(created.object_path, "pending").getSignedUrl({
      version: "v4",
      action: "write",
      expires,
      contentType,
      extensionHeaders: { "x-goog-content-length-range": `${size},${size}` },
    });
    return { fileId: created.id, uploadUrl, expiresAt: expires.toISOString() };
  },
});
