/**
 * The software bill of materials of the npm package: `npm sbom` in CycloneDX, of what package-lock.json
 * installs for a user (the package and its runtime dependencies), as a release asset.
 *
 * `npm sbom --omit dev` also drops runtime dependencies that a development dependency requires too
 * (@grpc/grpc-js, google-protobuf), so the whole tree is asked for and the components npm marks as development
 * (`cdx:npm:package:development`) are dropped here. The document's time is the release's and its serial number
 * derives from its content, so that one commit and one npm give one file; the root component is named after the
 * package (npm names it after the folder it runs in).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";

interface Component {
  "bom-ref"?: string;
  name?: string;
  properties?: { name: string; value: string }[];
}
interface CycloneDx {
  serialNumber?: string;
  metadata?: { timestamp?: string; component?: Component };
  components?: Component[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

const development = (c: Component) =>
  (c.properties ?? []).some((p) => p.name === "cdx:npm:package:development" && p.value === "true");

/** The CycloneDX SBOM of the package in `repo`, as JSON text, with `mtime` (Unix seconds) as its time. */
export function packageSbom(repo: string, name: string, mtime: number): string {
  const raw = execFileSync("npm", ["sbom", "--sbom-format", "cyclonedx", "--package-lock-only"], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const bom = JSON.parse(raw) as CycloneDx;
  const dropped = new Set((bom.components ?? []).filter(development).map((c) => c["bom-ref"]));
  bom.components = (bom.components ?? []).filter((c) => !dropped.has(c["bom-ref"]));
  bom.dependencies = (bom.dependencies ?? [])
    .filter((d) => !dropped.has(d.ref))
    .map((d) => ({ ...d, dependsOn: d.dependsOn?.filter((ref) => !dropped.has(ref)) }));
  if (bom.metadata?.component) bom.metadata.component.name = name;
  if (bom.metadata) bom.metadata.timestamp = new Date(mtime * 1000).toISOString();
  bom.serialNumber = undefined;
  const hash = createHash("sha256").update(JSON.stringify(bom)).digest("hex");
  // A UUID (version 4 layout) made of the content's hash: the same content, the same serial number.
  const uuid = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-8${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
  return `${JSON.stringify({ ...bom, serialNumber: `urn:uuid:${uuid}` }, null, 2)}\n`;
}
