/**
 * What a StreamDownload records in state, and what it reads back from it: its id, its inputs, the output of
 * each download, and which download types it manages.
 */
import { CLOUDFLARE_ID } from "./check";
import { toInfo } from "./download-state";
import { StreamDownloadError } from "./errors";
import type { LiveDownloads } from "./parse";
import { DOWNLOAD_TYPES, type DownloadType } from "./download-types";
import { DEFAULT_READY_TIMEOUT_SECONDS, type StreamDownloadInputs, type StreamDownloadOutputs } from "./types";

/** The resource's id: `<accountId>/<identifier>`. */
export function resourceId(inputs: { accountId: string; identifier: string }): string {
  return `${inputs.accountId}/${inputs.identifier}`;
}

/** The prior state of an imported resource: its id names the account and the video. */
export function importedProps(id: string): StreamDownloadOutputs {
  const [accountId, identifier, ...rest] = id.split("/");
  if (
    !accountId ||
    !identifier ||
    rest.length > 0 ||
    !CLOUDFLARE_ID.test(accountId) ||
    !CLOUDFLARE_ID.test(identifier)
  ) {
    throw new StreamDownloadError(
      `Cannot import StreamDownload "${id}": the id must be <accountId>/<videoUid>, two Cloudflare ids of 32 ` +
        `lowercase hexadecimal characters joined by "/".`,
    );
  }
  return {
    accountId,
    identifier,
    downloadTypes: [],
    waitForReady: true,
    readyTimeoutSeconds: DEFAULT_READY_TIMEOUT_SECONDS,
  };
}

/** The inputs alone, from inputs or outputs. */
export function inputsOf(props: StreamDownloadInputs): StreamDownloadInputs {
  const { accountId, identifier, downloadTypes, waitForReady, readyTimeoutSeconds } = props;
  return { accountId, identifier, downloadTypes, waitForReady, readyTimeoutSeconds };
}

/** What a StreamDownload records in state: its inputs, and the live state of each of `types` listed. */
export function outputsOf(
  inputs: StreamDownloadInputs,
  live: LiveDownloads,
  types: DownloadType[],
  requireSignedURLs: boolean | undefined,
  prior?: StreamDownloadOutputs,
): StreamDownloadOutputs {
  const outs: StreamDownloadOutputs = inputsOf(inputs);
  for (const type of types) {
    const d = live[type];
    if (d) outs[type] = toInfo(d, prior?.[type]);
  }
  if (requireSignedURLs !== undefined) outs.requireSignedURLs = requireSignedURLs;
  return outs;
}

/** The types a resource manages: those it asked for, plus any it recorded output for. */
export function managedTypes(props: StreamDownloadOutputs): DownloadType[] {
  const asked = Array.isArray(props.downloadTypes) ? props.downloadTypes : [];
  return DOWNLOAD_TYPES.filter((type) => asked.includes(type) || props[type] !== undefined);
}

/** Types wanted but not present (lost out of band) or failed in the recorded state. */
export function missingTypes(olds: StreamDownloadOutputs, wanted: DownloadType[]): DownloadType[] {
  return wanted.filter((type) => olds[type] === undefined || olds[type]?.status === "error");
}
