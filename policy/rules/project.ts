import * as gcp from "@pulumi/gcp";
import { validateResourceOfType, type PolicyResource } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

/** Which API a resource type needs, by the module of its type token (`gcp:<module>/...`). */
export const API_OF_MODULE: Readonly<Record<string, string>> = {
  artifactregistry: "artifactregistry.googleapis.com",
  billing: "billingbudgets.googleapis.com",
  cloudfunctions: "cloudfunctions.googleapis.com",
  cloudfunctionsv2: "cloudfunctions.googleapis.com",
  cloudrunv2: "run.googleapis.com",
  cloudtasks: "cloudtasks.googleapis.com",
  compute: "compute.googleapis.com",
  firebase: "firebase.googleapis.com",
  identityplatform: "identitytoolkit.googleapis.com",
  logging: "logging.googleapis.com",
  monitoring: "monitoring.googleapis.com",
  pubsub: "pubsub.googleapis.com",
  secretmanager: "secretmanager.googleapis.com",
  serviceaccount: "iam.googleapis.com",
  servicenetworking: "servicenetworking.googleapis.com",
  sql: "sqladmin.googleapis.com",
  storage: "storage.googleapis.com",
  vpcaccess: "vpcaccess.googleapis.com",
};

function moduleOf(type: string): string | undefined {
  return /^gcp:([a-z0-9]+)\//.exec(type)?.[1];
}

/** All resources a resource waits for, through explicit dependencies. */
function dependsOnService(resource: PolicyResource, api: string): boolean {
  return resource.dependencies.some((d) => d.type === "gcp:projects/service:Service" && d.props.service === api);
}

export const projectPolicies: PulsuraPolicy[] = [
  {
    name: "api-kept-on-destroy",
    description: "Google APIs are enabled with disableOnDestroy false, so destroying one stack never switches an API off under another.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.projects.Service, (service, _args, reportViolation) => {
      if (service.disableOnDestroy !== false) reportViolation(`API ${service.service} must set disableOnDestroy: false`);
      if (service.disableDependentServices === true) reportViolation(`API ${service.service} must not disable dependent services`);
    }),
  },
  {
    name: "api-enabled-before-use",
    description: "Every Google Cloud resource depends on the projects.Service that enables its API, so a fresh project deploys in one run.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const resource of args.resources) {
        const module = moduleOf(resource.type);
        const api = module ? API_OF_MODULE[module] : undefined;
        if (!api) continue;
        if (!dependsOnService(resource, api)) reportViolation(`${resource.type} "${resource.name}" does not depend on the ${api} API being enabled`, resource.urn);
      }
    },
  },
];
