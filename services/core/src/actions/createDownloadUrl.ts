import { ActionError, defineAction } from "@pulsura/kit";
import { z } from "zod";
import { fileObject, filesEnvironment } from "../_files";

const notFound = () => new ActionError("file not found", { code: "not-found", status: 404 });

/**
 * A V4 signed URL to GET an uploaded file the caller may read, by the rules of the files select permissions
 * (public_files.yaml): users through file_access_scopes on the file's readable scope (null until uploaded), operators
 * through their live users row. A file that does not exist, is not uploaded or is not the caller's to read are one
 * answer (404), so the action tells no one which files exist.
 */
export default defineAction({
  roles: ["user", "operator"],
  input: z.object({ fileId: z.uuid() }),
  async handler({ fileId }, { caller, db }) {
    if (caller.role !== "admin" && !caller.userId) throw notFound();
    const readable = await db.query<{ object_path: string; name: string; content_type: string }>({
      name: `core-readable-file-${caller.role === "operator" ? "operator" : caller.role === "admin" ? "admin" : "user"}`,
      text:
        caller.role === "operator"
          ? `select object_path, name, content_type from files f where f.id = $1 and f.status = 'uploaded'
               and exists (select 1 from users u where u.id = $2 and u.role = 'operator' and u.deleted_at is null)`
          : caller.role === "admin"
            ? `select object_path, name, content_type from files f where f.id = $1 and f.status = 'uploaded' and $2::text is null`
            : `select object_path, name, content_type from files f where f.id = $1
                 and exists (select 1 from file_access_scopes s
                              where s.access_scope = f.readable_scope and s.user_id = $2 and s.permission = 'files.read')`,
      values: [fileId, caller.role === "admin" ? null : caller.userId],
    });
    const file = readable.rows[0];
    if (!file) throw notFound();
    const expires = new Date(Date.now() + filesEnvironment().PULSURA_DOWNLOAD_URL_SECONDS * 1000);
    const [downloadUrl] = await fileObject(file.object_path, "uploaded").getSignedUrl({ version: "v4", action: "read", expires });
    return { downloadUrl, expiresAt: expires.toISOString() };
  },
});
