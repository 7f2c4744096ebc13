import { defineJob } from "@pulsura/kit";
import { z } from "zod";
import { fileObject } from "../_files";

interface ExportFile {
  id: string;
  organization_id: string | null;
  object_path: string;
  status: string;
}

/**
 * Writes an organization's export (exportOrganization's pending files row) to the files bucket as JSON: the
 * organization, its members with their roles, and its files' details (not their bytes). Then the row is uploaded, and
 * its owner downloads it with createDownloadUrl. A retry after a failure writes the object again (same path, same
 * content at that moment); a row no longer pending (done, or deleted meanwhile) is left alone.
 */
export default defineJob({
  payload: z.object({ fileId: z.uuid() }),
  async handler({ fileId }, { tx, log, retryCount }) {
    const found = await tx.query<ExportFile>({
      name: "core-export-file",
      text: "select id, organization_id, object_path, status from files where id = $1",
      values: [fileId],
    });
    const file = found.rows[0];
    if (!file || file.status !== "pending" || !file.organization_id) return { skipped: file ? `file ${file.status}` : "no file" };

    // One transaction, so the three reads see the organization at one moment.
    const organization = await tx.query({
      name: "core-export-organization",
      text: "select id, name, created_by, created_at from organizations where id = $1",
      values: [file.organization_id],
    });
    const members = await tx.query({
      name: "core-export-members",
      text: "select user_id, role, created_at from memberships where organization_id = $1 order by created_at, user_id",
      values: [file.organization_id],
    });
    const files = await tx.query({
      name: "core-export-files",
      text: `select id, name, content_type, size_bytes::text, status, created_at, uploaded_at from files
              where organization_id = $1 and id <> $2 order by created_at, id`,
      values: [file.organization_id, fileId],
    });
    const document = JSON.stringify(
      { exportedAt: new Date().toISOString(), organization: organization.rows[0] ?? null, members: members.rows, files: files.rows },
      null,
      2,
    );
    const bytes = Buffer.byteLength(document);
    await fileObject(file.object_path, "uploaded").save(document, { contentType: "application/json", resumable: false });
    await tx.query({
      name: "core-export-uploaded",
      text: "update files set status = 'uploaded', uploaded_at = now(), size_bytes = $2 where id = $1 and status = 'pending'",
      values: [fileId, bytes],
    });
    log.info({ fileId, organizationId: file.organization_id, members: members.rowCount, files: files.rowCount, bytes, retryCount }, "organization exported");
    return { fileId, bytes };
  },
});
