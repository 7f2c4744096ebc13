import { resource } from "../support";
import type { PolicyCases } from "./types";

const sqlApi = resource("gcp:projects/service:Service", { service: "sqladmin.googleapis.com", disableOnDestroy: false });

export const projectCases: PolicyCases = {
  "api-kept-on-destroy": {
    pass: [resource("gcp:projects/service:Service", { service: "run.googleapis.com", disableOnDestroy: false, disableDependentServices: false })],
    fail: [resource("gcp:projects/service:Service", { service: "run.googleapis.com" })],
    message: /must set disableOnDestroy: false/,
  },
  "api-enabled-before-use": {
    pass: [sqlApi, resource("gcp:sql/databaseInstance:DatabaseInstance", {}, { dependencies: [sqlApi.urn] })],
    fail: [sqlApi, resource("gcp:sql/databaseInstance:DatabaseInstance", {}, { name: "db" })],
    message: /"db" does not depend on the sqladmin.googleapis.com API being enabled/,
  },
};
