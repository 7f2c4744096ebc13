/**
 * The pulsura Pulumi program: reads and validates the stack config once, then composes the components.
 */
import { loadStackConfig } from "./config";
import { Project, type GoogleApi } from "./components/project";

const config = loadStackConfig();

/** Every Google API the stack uses. */
function requiredApis(): GoogleApi[] {
  const apis: GoogleApi[] = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "firebase.googleapis.com",
    "firebasehosting.googleapis.com",
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ];
  if (config.network.connector) apis.push("vpcaccess.googleapis.com");
  return apis;
}

const project = new Project(config.tenant, { projectId: config.gcp.project, apis: requiredApis() });

export const stack = config.stack;
export const environment = config.environment;
export const tenant = config.tenant;
export const gcpProject = config.gcp.project;
export const region = config.gcp.region;
export const enabledApis = Object.keys(project.services);
