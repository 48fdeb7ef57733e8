/**
 * The download types Cloudflare Stream generates: one row each, and everything else follows from this table:
 * the `DownloadType` union and the outputs of both faces (types.ts), the plugin's schema (schema.json, checked
 * against this table by tests/unit/schema.test.ts) and so every SDK (`npm run gen-sdk`), the emulator's files
 * and the live check's URL shapes. A new type is one row here, its property on the dynamic resource's class
 * (the compiler says so), its entry in schema.json, then `npm run gen-sdk`.
 */

/** What this package knows of one download type. */
export interface DownloadTypeSpec {
  /** The file's name in its URL: `https://customer-<code>.cloudflarestream.com/<uid>/downloads/<fileName>`. */
  fileName: string;
  /** The file's media type, as its URL serves it. */
  contentType: string;
  /** What the file is, for documentation: "an MP4 of the video". */
  description: string;
}

/** The table, in the order types are listed, created and reported. */
export const DOWNLOAD_TYPE_TABLE = {
  default: { fileName: "default.mp4", contentType: "video/mp4", description: "An MP4 of the video." },
  audio: { fileName: "audio.m4a", contentType: "audio/mp4", description: "An M4A of the video's sound." },
} as const satisfies Record<string, DownloadTypeSpec>;

/** One Stream download type: `default` (MP4 video) or `audio` (M4A). */
export type DownloadType = keyof typeof DOWNLOAD_TYPE_TABLE;

/** Every download type, in the table's order. */
export const DOWNLOAD_TYPES = Object.keys(DOWNLOAD_TYPE_TABLE) as DownloadType[];

/** Whether a value names a download type. */
export function isDownloadType(value: unknown): value is DownloadType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DOWNLOAD_TYPE_TABLE, value);
}
