import { describe, expect, it } from "vitest";
import {
  assertCustomClaimsSize,
  customClaimsBytes,
  hasuraClaims,
  hasuraClaimsNamespace,
  maxCustomClaimsBytes,
  userRoles,
  type UserRole,
} from "../../functions/src/claims";

describe("hasuraClaims", () => {
  it("puts the user's session under Hasura's default claims namespace", () => {
    expect(hasuraClaims("uid-123")).toEqual({
      "https://hasura.io/jwt/claims": {
        "x-hasura-default-role": "user",
        "x-hasura-allowed-roles": ["user"],
        "x-hasura-user-id": "uid-123",
      },
    });
  });

  it("lets an operator default to operator and still act as a plain user", () => {
    const session = hasuraClaims("boss", "operator")[hasuraClaimsNamespace];
    expect(session["x-hasura-default-role"]).toBe("operator");
    expect(session["x-hasura-allowed-roles"]).toEqual(["user", "operator"]);
    expect(session["x-hasura-user-id"]).toBe("boss");
  });

  it("has user and operator as the only global roles: Hasura's admin is not one", () => {
    expect(userRoles).toEqual(["user", "operator"]);
  });

  it("refuses Hasura's built-in admin role, which would give a token the metadata API and run_sql", () => {
    expect(() => hasuraClaims("boss", "admin" as UserRole)).toThrow(
      /role "admin" is Hasura's built-in admin role .* reserved for the admin secret; app administrators have the role "operator"/,
    );
  });

  it.each<UserRole>(["user", "operator"])("always allows the default role (%s), as Hasura requires", (role) => {
    const session = hasuraClaims("u", role)[hasuraClaimsNamespace];
    expect(session["x-hasura-allowed-roles"]).toContain(session["x-hasura-default-role"]);
    // Hasura reads session variables as strings (the role list as a JSON array of strings).
    for (const value of [session["x-hasura-default-role"], session["x-hasura-user-id"], ...session["x-hasura-allowed-roles"]]) {
      expect(typeof value).toBe("string");
    }
  });

  it("stays under Firebase's 1000-byte custom claims limit even for the longest uid and multi-byte text", () => {
    // Firebase uids are at most 128 characters; multi-byte ones make the UTF-8 size the largest.
    const longestUid = "é".repeat(128);
    const claims = hasuraClaims(longestUid, "operator");
    const bytes = Buffer.byteLength(JSON.stringify(claims), "utf8");
    expect(bytes).toBe(customClaimsBytes(claims));
    expect(bytes).toBeGreaterThan(128 * 2);
    expect(bytes).toBeLessThanOrEqual(maxCustomClaimsBytes);
    expect(maxCustomClaimsBytes).toBe(1000);
  });

  it("rejects claims over the limit before Identity Platform would", () => {
    expect(() => assertCustomClaimsSize({ [hasuraClaimsNamespace]: { big: "x".repeat(1000) } })).toThrow(
      /over Firebase's limit of 1000 bytes/,
    );
    expect(() => assertCustomClaimsSize({ small: "x".repeat(980) })).not.toThrow();
  });

  it("refuses a missing or oversized uid and an unknown role", () => {
    expect(() => hasuraClaims("")).toThrow(/uid must be a non-empty string/);
    expect(() => hasuraClaims("x".repeat(129))).toThrow(/at most 128 characters/);
    expect(() => hasuraClaims("u", "owner" as UserRole)).toThrow(/role must be one of user, operator, got "owner"/);
  });
});
