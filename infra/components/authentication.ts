import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

/** Identity Platform's ids for the OAuth providers pulsura supports. */
const IDP_IDS = { google: "google.com", facebook: "facebook.com", apple: "apple.com" } as const;

export interface AuthenticationArgs {
  projectId: string;
  /** Phone sign-in, with test numbers (E.164 → code) only where config gives them. */
  phone: { enabled: boolean; testPhoneNumbers: Record<string, string> };
  email: { enabled: boolean; passwordRequired: boolean };
  /** OAuth providers: client id and client secret (a Pulumi secret). */
  oauth: Partial<Record<keyof typeof IDP_IDS, { clientId: string; clientSecret: pulumi.Input<string> }>>;
  /** Regions allowed to receive sign-in SMS; empty leaves Identity Platform's default. */
  smsRegions: string[];
  /** Domains allowed for sign-in redirects (hosting domains, custom domains, localhost in dev). */
  authorizedDomains: string[];
  /** URL of the gen2 blocking function called before a user is created. */
  beforeCreateUri: pulumi.Input<string>;
}

/**
 * Identity Platform (Firebase Auth) settings: sign-in methods, OAuth providers, authorized domains, SMS regions and
 * the blocking function that puts Hasura's claims in the first ID token.
 */
export class Authentication extends PulsuraComponent {
  readonly config: gcp.identityplatform.Config;

  constructor(name: string, args: AuthenticationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:auth:Authentication", name, opts);
    this.config = new gcp.identityplatform.Config(
      `${name}-identity`,
      {
        project: args.projectId,
        signIn: {
          phoneNumber: { enabled: args.phone.enabled, testPhoneNumbers: args.phone.testPhoneNumbers },
          email: { enabled: args.email.enabled, passwordRequired: args.email.passwordRequired },
          allowDuplicateEmails: false,
        },
        authorizedDomains: args.authorizedDomains,
        ...(args.smsRegions.length > 0 ? { smsRegionConfig: { allowlistOnly: { allowedRegions: args.smsRegions } } } : {}),
        blockingFunctions: { triggers: [{ eventType: "beforeCreate", functionUri: args.beforeCreateUri }] },
      },
      this.childOptions(),
    );
    for (const [provider, settings] of Object.entries(args.oauth) as Array<[keyof typeof IDP_IDS, { clientId: string; clientSecret: pulumi.Input<string> }]>) {
      new gcp.identityplatform.DefaultSupportedIdpConfig(
        `${name}-idp-${provider}`,
        { project: args.projectId, idpId: IDP_IDS[provider], clientId: settings.clientId, clientSecret: pulumi.secret(settings.clientSecret), enabled: true },
        this.childOptions({ dependsOn: [this.config] }),
      );
    }
    this.registerOutputs({});
  }
}
