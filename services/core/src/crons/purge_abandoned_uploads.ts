import { defineCron } from "@pulsura/kit";
import { z } from "zod";
import { filesEnvironment } from "../_files";

/**
 * Deletes files rows whose upload never finished (pending, or failed as not what was signed) once they are
 * `olderThanHours` old: invisible to clients, they still count toward the files_per_owner quota. Never before the
 * upload URL's lifetime is over (plus an hour for a slow PUT and its notification), so no upload that may still arrive
 * loses its row. file_deleted removes any object left.
 */
export default defineCron({
  payload: z.object({ olderThanHours: z.number().int().min(1).max(24 * 90) }),
  async handler({ olderThanHours }, { tx, log }) {
    const olderThanSeconds = Math.max(olderThanHours * 3600, filesEnvironment().PULSURA_UPLOAD_URL_SECONDS + 3600);
    const purged = await tx.query<{ deleted: number }>("select public.purge_abandoned_uploads(make_interval(secs => $1)) as deleted", [olderThanSeconds]);
    const deleted = purged.rows[0]?.deleted ?? 0;
    log.info({ deleted, olderThanSeconds }, "purged abandoned uploads");
    return { deleted };
  },
});
