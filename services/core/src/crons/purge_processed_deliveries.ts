import { defineCron } from "@pulsura/kit";
import { z } from "zod";

/** Forgets deliveries older than `olderThanDays`: Hasura stops retrying long before that. */
export default defineCron({
  payload: z.object({ olderThanDays: z.number().int().min(1) }),
  async handler({ olderThanDays }, { tx, log }) {
    const purged = await tx.query("delete from processed_deliveries where processed_at < now() - make_interval(days => $1)", [
      olderThanDays,
    ]);
    log.info({ deleted: purged.rowCount, olderThanDays }, "purged processed deliveries");
    return { deleted: purged.rowCount ?? 0 };
  },
});
