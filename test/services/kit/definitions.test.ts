/**
 * defineAction refuses, while the handler file loads, an action open to the role Hasura gives requests without a JWT
 * (`anonymous`): Hasura builds that role's session variables from the request's own headers, so the caller's
 * `x-hasura-user-id` would be whatever they sent.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { defineAction } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";

const openService = path.join(__dirname, "../fixtures/anonymous-action/services/open");

describe("defineAction", () => {
  it("refuses roles that include anonymous, naming the calling file and the reason", () => {
    expect(() => defineAction({ roles: ["anonymous"], handler: () => null })).toThrow(
      /(^|\/)test\/services\/kit\/definitions\.test\.ts: defineAction: roles must not include "anonymous", Hasura's role for requests without a JWT: Hasura takes that role's session variables \(x-hasura-user-id too\) from the request's own headers/,
    );
  });

  it("fails loading a service whose action admits anonymous, naming the action file", async () => {
    await expect(loadService(openService)).rejects.toThrow(
      /test\/services\/fixtures\/anonymous-action\/services\/open\/src\/actions\/peek\.ts: defineAction: roles must not include "anonymous"/,
    );
  });

  it("accepts app roles such as operator next to user", () => {
    expect(defineAction({ roles: ["user", "operator"], handler: () => null }).roles).toEqual(["user", "operator"]);
  });

  it("still refuses an empty roles list, naming the calling file", () => {
    expect(() => defineAction({ roles: [], handler: () => null })).toThrow(
      /(^|\/)test\/services\/kit\/definitions\.test\.ts: defineAction: roles must name at least one role/,
    );
  });
});
