/** One StreamDownload of the test program, as the tests write it into the stack config `resources`. */
export interface ResourceSpec {
  name: string;
  accountId: string;
  identifier: string;
  downloadTypes?: Array<"default" | "audio">;
  waitForReady?: boolean;
  readyTimeoutSeconds?: number;
  /** Inputs the program passes as Pulumi secrets. */
  secret?: Array<"accountId" | "identifier">;
}
