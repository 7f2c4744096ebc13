import { defineEvent } from "@pulsura/kit";
import { z } from "zod";
import { fileObject } from "../_files";

/**
 * A files row was deleted: delete its object, confirmed and pending. Deleting what is already gone succeeds, so
 * retries and repeated deliveries are harmless.
 */
export default defineEvent({
  table: { schema: "public", name: "files" },
  row: z.looseObject({ id: z.string(), object_path: z.string().min(1) }),
  async handler(event, { log }) {
    const deleted = event.old;
    if (event.op !== "DELETE" || !deleted) return { skipped: "not a delete" };
    await Promise.all([
      fileObject(deleted.object_path, "uploaded").delete({ ignoreNotFound: true }),
      fileObject(deleted.object_path, "pending").delete({ ignoreNotFound: true }),
    ]);
    log.info({ fileId: deleted.id, objectPath: deleted.object_path }, "deleted the file's objects");
    return { fileId: deleted.id };
  },
});
