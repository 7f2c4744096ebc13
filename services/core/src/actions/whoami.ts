import { defineAction } from "@pulsura/kit";

/** The caller as Hasura sees them: user id and role. */
export default defineAction({
  roles: ["user", "operator"],
  handler(_input, { caller }) {
    return { userId: caller.userId, role: caller.role };
  },
});
