/**
 * The dynamic resource's face on the core: `pulumi.dynamic.ResourceProvider` calls translated into
 * StreamDownloadOperations calls, with settings from the stack config that `configure` receives.
 */
import type * as pulumi from "@pulumi/pulumi";
import { type OperationOptions, StreamDownloadOperations } from "../core/operations";
import { StreamDownloadError } from "../core/errors";
import { ENV_VARS } from "../core/settings";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../core/types";
import { CONFIG_KEYS, currentSettings, readConfig, storeConfigured } from "./config";

type Provider = pulumi.dynamic.ResourceProvider<StreamDownloadInputs, StreamDownloadOutputs>;

/** What the dynamic provider depends on: the core's dependencies (see OperationDeps). */
export type ProviderDeps = OperationOptions;

/** Where the dynamic resource reads its token: said with every authentication error. */
export const DYNAMIC_CREDENTIAL_HINT = `The token comes from ${CONFIG_KEYS.apiToken}, else ${ENV_VARS.apiToken}.`;

/**
 * Why a rotated token may not be used yet: the engine configures `refresh` and `destroy` from the config recorded
 * at the last `up`. Said with an authentication error of a refresh, an update or a destroy.
 */
export const DYNAMIC_ROTATION_HINT =
  `If you rotated it: pulumi refresh and pulumi destroy keep using the config recorded by the last pulumi up, so ` +
  `run pulumi up once with the new token (it records it), then refresh or destroy (see docs/rotating-tokens.md ` +
  `in the project's repository).`;

/**
 * Inputs whose values a check message never repeats. The engine hands a dynamic provider secrets as plain
 * values (its dynamic-provider host tells the engine it does not accept secrets), so this face cannot tell a
 * secret id from a plain one, and treats both ids as secret: users mark them secret to keep them out of logs.
 */
export const DYNAMIC_HIDDEN_INPUTS: ReadonlySet<string> = new Set(["accountId", "identifier"]);

/** The StreamDownload dynamic provider. Most programs use the shared `streamDownloadProvider` instead. */
export class StreamDownloadProvider implements Provider {
  private readonly operations: StreamDownloadOperations;

  constructor(deps: ProviderDeps = {}) {
    this.operations = new StreamDownloadOperations({
      settings: () => currentSettings(),
      credentialHint: DYNAMIC_CREDENTIAL_HINT,
      rotationHint: DYNAMIC_ROTATION_HINT,
      ...deps,
    });
  }

  /** Keeps the stack config's Cloudflare keys for this process; they win over env vars. */
  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    storeConfigured(readConfig(req.config));
  }

  /** Validates inputs and fills defaults. Calls no API, so it is safe at preview. Never repeats an id. */
  check(olds: StreamDownloadInputs, news: StreamDownloadInputs): Promise<pulumi.dynamic.CheckResult> {
    return this.operations.check(olds, news, DYNAMIC_HIDDEN_INPUTS);
  }

  /** Replaces on a new account or video; everything else changes in place. */
  diff(id: string, olds: StreamDownloadOutputs, news: StreamDownloadInputs): Promise<pulumi.dynamic.DiffResult> {
    return this.operations.diff(id, olds, news);
  }

  /** Creates (or adopts) the downloads and waits for them. */
  create(inputs: StreamDownloadInputs): Promise<pulumi.dynamic.CreateResult<StreamDownloadOutputs>> {
    return this.operations.create(inputs);
  }

  /**
   * Reads the live state for refresh. `pulumi import` cannot reach a dynamic provider (the engine calls read
   * without it), so a read without prior state is a misuse and says what to do instead.
   */
  async read(id: string, props?: StreamDownloadOutputs): Promise<pulumi.dynamic.ReadResult<StreamDownloadOutputs>> {
    if (props === undefined || !props.accountId || !props.identifier) {
      throw new StreamDownloadError(
        `Cannot read StreamDownload "${id}" without its prior state: pulumi import does not work for dynamic ` +
          `resources. Declare the resource instead (existing downloads of the video are adopted on create), or ` +
          `use the provider plugin (cloudflare-stream:index:StreamDownload), which supports pulumi import.`,
      );
    }
    const { inputs, ...outcome } = await this.operations.read(id, props);
    return inputs === undefined ? outcome : { ...outcome, inputs: inputs as StreamDownloadOutputs };
  }

  /** Adds and removes download types in place. */
  update(
    id: string,
    olds: StreamDownloadOutputs,
    news: StreamDownloadInputs,
  ): Promise<pulumi.dynamic.UpdateResult<StreamDownloadOutputs>> {
    return this.operations.update(id, olds, news);
  }

  /** Deletes the managed downloads. */
  delete(id: string, props: StreamDownloadOutputs): Promise<void> {
    return this.operations.delete(id, props);
  }
}
