/**
 * Secret Manager secrets.
 */
import { patternRule, projectScope, stringAt, uniqueRule, type FidelityRule } from "./rule";

const SECRET = "gcp:secretmanager/secret:Secret";
// CreateSecretRequest.secret_id: "maximum length of 255 characters and can contain uppercase and lowercase letters,
// numerals, and the hyphen (-) and underscore (_) characters".
const CREATE_SOURCE = "https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create";

export const secretManagerRules: FidelityRule[] = [
  patternRule({
    id: "secretmanager/secret-id",
    types: [SECRET],
    field: "secretId",
    constraint: "1-255 letters, digits, - or _",
    source: CREATE_SOURCE,
    pattern: /^[A-Za-z0-9_-]{1,255}$/,
    max: 255,
  }),
  uniqueRule({
    id: "secretmanager/secret-id-unique",
    types: [SECRET],
    field: "secretId",
    source: CREATE_SOURCE,
    read: (r) => stringAt(r.inputs, "secretId"),
    scope: projectScope,
    scopeName: "project",
  }),
];
