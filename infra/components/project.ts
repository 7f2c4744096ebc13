import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

/** A Google API, e.g. `sqladmin.googleapis.com`. */
export type GoogleApi = `${string}.googleapis.com`;

export interface ProjectArgs {
  /** GCP project id the stack deploys into. */
  projectId: string;
  /** The Google APIs the stack needs; each is enabled and left enabled when the stack is destroyed. */
  apis: GoogleApi[];
}

/**
 * The stack's GCP project: enables every Google API the stack needs. Other components take `project.apis` (or a part of
 * it) as `dependsOn`, so nothing is created before its API is on.
 */
export class Project extends PulsuraComponent {
  /** Enabled APIs by name. */
  readonly services: Readonly<Record<GoogleApi, gcp.projects.Service>>;
  readonly projectId: string;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:core:Project", name, opts);
    this.projectId = args.projectId;
    const services: Record<GoogleApi, gcp.projects.Service> = {};
    for (const api of [...new Set(args.apis)].sort()) {
      services[api] = new gcp.projects.Service(
        `${name}-api-${api.split(".")[0]}`,
        {
          project: args.projectId,
          service: api,
          // Other stacks or people may rely on the API in the same project: never switch it off on destroy.
          disableOnDestroy: false,
          disableDependentServices: false,
        },
        this.childOptions(),
      );
    }
    this.services = services;
    this.registerOutputs({ enabledApis: Object.keys(services) });
  }

  /** The services for the given APIs, to use as `dependsOn`. */
  apis(...apis: GoogleApi[]): gcp.projects.Service[] {
    return apis.map((api) => {
      const service = this.services[api];
      if (!service) throw new Error(`API ${api} is not in the project's list of enabled APIs`);
      return service;
    });
  }
}
