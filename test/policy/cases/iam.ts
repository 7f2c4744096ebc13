import { resource } from "../support";
import type { PolicyCases } from "./types";

const sa = "serviceAccount:pulsura-hasura@p.iam.gserviceaccount.com";
const projectMember = (role: string, member = sa) => resource("gcp:projects/iAMMember:IAMMember", { project: "p", role, member });
const secretMember = (member: string) => resource("gcp:secretmanager/secretIamMember:SecretIamMember", { secretId: "pulsura-event-secret", role: "roles/secretmanager.secretAccessor", member });

export const iamCases: PolicyCases = {
  "iam-no-basic-roles": { pass: [projectMember("roles/firebaseauth.admin")], fail: [projectMember("roles/editor")], message: /grants the basic role roles\/editor/ },
  "iam-no-project-impersonation": {
    pass: [projectMember("roles/cloudsql.client")],
    fail: [projectMember("roles/iam.serviceAccountUser")],
    message: /grants roles\/iam.serviceAccountUser on the whole project/,
  },
  "iam-no-project-secret-access": {
    pass: [secretMember(sa)],
    fail: [projectMember("roles/secretmanager.secretAccessor")],
    message: /grant it on each secret instead/,
  },
  "iam-no-default-service-accounts": {
    pass: [projectMember("roles/firebaseauth.admin")],
    fail: [projectMember("roles/cloudsql.client", "serviceAccount:123456789012-compute@developer.gserviceaccount.com")],
    message: /grants to the default account/,
  },
  "iam-no-service-account-keys": {
    pass: [resource("gcp:serviceaccount/account:Account", { accountId: "pulsura-hasura" })],
    fail: [resource("gcp:serviceaccount/key:Key", { serviceAccountId: "pulsura-hasura" })],
    message: /service-account keys are not allowed/,
  },
  "secret-accessor-per-secret": {
    pass: [secretMember(sa)],
    fail: [
      secretMember("user:someone@example.com"),
      resource("gcp:secretmanager/secretIamBinding:SecretIamBinding", { secretId: "s", role: "roles/secretmanager.secretAccessor", members: [sa] }),
    ],
    message: /only service accounts may read secrets|use one SecretIamMember per service account/,
  },
};
