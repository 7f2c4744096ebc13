import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

export interface FirebaseArgs {
  projectId: string;
  /** Hosting site id (globally unique): serves at https://<siteId>.web.app and https://<siteId>.firebaseapp.com. */
  hostingSiteId: string;
  /** Name shown in the Firebase console for the web app. */
  displayName: string;
}

/** The web app's Firebase options, as the Flutter template and any web client need them. */
export interface FirebaseWebOptions {
  apiKey: pulumi.Output<string>;
  appId: pulumi.Output<string>;
  authDomain: pulumi.Output<string>;
  projectId: string;
  messagingSenderId: pulumi.Output<string>;
  storageBucket: pulumi.Output<string>;
}

/**
 * Firebase on the stack's GCP project: the Firebase project itself, a web app for clients and a hosting site for the
 * Flutter template's web build.
 */
export class Firebase extends PulsuraComponent {
  readonly project: gcp.firebase.Project;
  readonly webApp: gcp.firebase.WebApp;
  readonly hostingSite: gcp.firebase.HostingSite;
  readonly webOptions: FirebaseWebOptions;
  /** Domains the hosting site serves on. */
  readonly hostingDomains: string[];

  constructor(name: string, args: FirebaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:firebase:Firebase", name, opts);
    this.project = new gcp.firebase.Project(`${name}-firebase`, { project: args.projectId }, this.childOptions());
    const afterFirebase = this.childOptions({ dependsOn: [this.project] });
    this.webApp = new gcp.firebase.WebApp(`${name}-web-app`, { project: args.projectId, displayName: args.displayName, deletionPolicy: "DELETE" }, afterFirebase);
    this.hostingSite = new gcp.firebase.HostingSite(`${name}-site`, { project: args.projectId, siteId: args.hostingSiteId, appId: this.webApp.appId }, afterFirebase);
    this.hostingDomains = [`${args.hostingSiteId}.web.app`, `${args.hostingSiteId}.firebaseapp.com`];

    const config = gcp.firebase.getWebAppConfigOutput({ project: args.projectId, webAppId: this.webApp.appId }, { parent: this });
    this.webOptions = {
      apiKey: config.apiKey,
      appId: this.webApp.appId,
      authDomain: config.authDomain,
      projectId: args.projectId,
      messagingSenderId: config.messagingSenderId,
      storageBucket: config.storageBucket,
    };
    this.registerOutputs({ appId: this.webApp.appId, hostingSite: this.hostingSite.siteId });
  }
}
