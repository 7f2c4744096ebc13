import { definePush } from "@pulsura/kit";
import { z } from "zod";
import { fileObject, filesEnvironment, isNotFound, uploadPrefix } from "../_files";

interface PendingFile {
  id: string;
  object_path: string;
  content_type: string;
  size_bytes: string;
  status: string;
}

/**
 * The files bucket's OBJECT_FINALIZE notifications, pushed by Pub/Sub
 * (https://cloud.google.com/storage/docs/pubsub-notifications): an upload to `uploads/<object_path>` finished. When the
 * object is what its upload URL was signed for (size and content type of the pending row) it moves to `<object_path>`
 * (copy, then delete the pending object) and the row becomes uploaded; otherwise the object is deleted and the row
 * marked failed. Pub/Sub delivers at least once: the row's state makes a repeat a no-op, and a failure half-way
 * (copied, not yet marked) is finished by the redelivery, since copying again is harmless.
 */
export default definePush({
  // The Cloud Storage object resource (https://cloud.google.com/storage/docs/json_api/v1/objects#resource).
  data: z.looseObject({
    bucket: z.string(),
    name: z.string(),
    size: z.coerce.number().int().min(0),
    contentType: z.string().optional(),
    generation: z.string().optional(),
  }),
  async handler({ data: object, attributes }, { db, log }) {
    if (attributes.eventType !== "OBJECT_FINALIZE") return { skipped: `event ${attributes.eventType ?? "(none)"}` };
    if (object.bucket !== filesEnvironment().PULSURA_FILES_BUCKET) return { skipped: `bucket ${object.bucket}` };
    if (!object.name.startsWith(uploadPrefix)) return { skipped: "not an upload" };
    const objectPath = object.name.slice(uploadPrefix.length);

    const found = await db.query<PendingFile>({
      name: "core-file-by-object-path",
      text: "select id, object_path, content_type, size_bytes::text, status from files where object_path = $1",
      values: [objectPath],
    });
    const file = found.rows[0];
    const pending = fileObject(objectPath, "pending");
    if (!file || file.status !== "pending") {
      // No row (deleted meanwhile) or already decided: the pending object has no purpose; the lifecycle rule would
      // delete it in a day anyway. A repeat of a confirmed upload finds nothing to delete.
      await pending.delete({ ignoreNotFound: true });
      log.info({ objectPath, status: file?.status ?? "no row" }, "finalize for a file that is not pending: pending object removed");
      return { skipped: file ? `file ${file.status}` : "no file" };
    }

    const contentType = (object.contentType ?? "").toLowerCase();
    if (Number(file.size_bytes) !== object.size || contentType !== file.content_type) {
      await pending.delete({ ignoreNotFound: true });
      await db.query({
        name: "core-file-upload-failed",
        text: "update files set status = 'failed' where id = $1 and status = 'pending'",
        values: [file.id],
      });
      log.warn(
        { fileId: file.id, signed: { size: Number(file.size_bytes), contentType: file.content_type }, got: { size: object.size, contentType } },
        "upload is not what was signed: object deleted, file marked failed",
      );
      return { fileId: file.id, status: "failed" };
    }

    try {
      await pending.copy(fileObject(objectPath, "uploaded"));
    } catch (error) {
      // Gone: a previous delivery moved it and failed before marking the row; the confirmed object must exist then.
      if (!isNotFound(error)) throw error;
      const [exists] = await fileObject(objectPath, "uploaded").exists();
      if (!exists) throw error;
    }
    await pending.delete({ ignoreNotFound: true });
    await db.query({
      name: "core-file-uploaded",
      text: "update files set status = 'uploaded', uploaded_at = now() where id = $1 and status = 'pending'",
      values: [file.id],
    });
    log.info({ fileId: file.id, objectPath }, "upload confirmed");
    return { fileId: file.id, status: "uploaded" };
  },
});
