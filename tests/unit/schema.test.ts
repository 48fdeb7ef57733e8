/**
 * schema.json (what the plugin serves and the SDKs are generated from) says what the TypeScript types say: the
 * same properties, types, required ones, defaults and enum values as the core's types, the dynamic resource's args
 * and the plugin's config. Read from the sources with the TypeScript compiler, so a change on either side fails here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { ENV_VARS } from "../../src/core/settings";
import { DOWNLOAD_TYPE_TABLE, DOWNLOAD_TYPES } from "../../src/core/download-types";
import { DEFAULT_DOWNLOAD_TYPES, DEFAULT_READY_TIMEOUT_SECONDS } from "../../src/core/types";
import { DOWNLOAD_STATUSES } from "../../src/core/wire";
import { CONFIG_NAMES, SECRET_CONFIG } from "../../src/native/config";
import { STREAM_DOWNLOAD } from "../../src/native/server";
import { REPO } from "../helpers/engine";

const TYPES_FILE = path.join(REPO, "src", "core", "types.ts");
const ARGS_FILE = path.join(REPO, "src", "dynamic", "resource.ts");

interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  default?: unknown;
  secret?: boolean;
  description?: string;
  defaultInfo?: { environment?: string[] };
}
interface ObjectSpec {
  properties: Record<string, SchemaProperty>;
  required?: string[];
}
const schema = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as {
  name: string;
  config: { variables: Record<string, SchemaProperty> };
  provider: { inputProperties: Record<string, SchemaProperty> };
  resources: Record<string, ObjectSpec & { inputProperties: Record<string, SchemaProperty>; requiredInputs: string[] }>;
  types: Record<string, ObjectSpec & { enum?: { value: string; description?: string }[] }>;
};

/** One property of a TypeScript interface: optional or not, its type as text, its `@default` tag. */
interface TsProperty {
  optional: boolean;
  type: string;
  default?: string;
}

const program = ts.createProgram([TYPES_FILE, ARGS_FILE], { strict: true, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();

/** The properties of an exported interface, inherited ones included. */
function interfaceProperties(file: string, name: string): Record<string, TsProperty> {
  const source = program.getSourceFile(file);
  assert.ok(source, file);
  const decl = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
  );
  assert.ok(decl, `interface ${name} in ${file}`);
  const type = checker.getTypeAtLocation(decl);
  const out: Record<string, TsProperty> = {};
  for (const prop of checker.getPropertiesOfType(type)) {
    // A property of a mapped type (one per download type) has no declaration of its own.
    const propDecl = prop.declarations?.[0];
    let propType = checker.getNonNullableType(
      propDecl ? checker.getTypeOfSymbolAtLocation(prop, propDecl) : checker.getTypeOfSymbol(prop),
    );
    const tag = propDecl ? ts.getJSDocTags(propDecl).find((t) => t.tagName.text === "default") : undefined;
    // A union of documented strings that also admits any string (like DownloadStatus) is a string in the schema.
    if (propType.isUnion() && checker.isTypeAssignableTo(checker.getStringType(), propType)) {
      propType = checker.getStringType();
    }
    out[prop.name] = {
      optional: (prop.flags & ts.SymbolFlags.Optional) !== 0,
      type: checker.typeToString(propType),
      ...(tag ? { default: ts.getTextOfJSDocComment(tag.comment)?.trim() } : {}),
    };
  }
  return out;
}

/** The TypeScript type (as text) a schema property stands for. */
function tsTypeOf(p: SchemaProperty): string {
  // An enum stands for the union of its values, as TypeScript prints it.
  const values = p.$ref
    ? schema.types[p.$ref.replace("#/types/", "")]?.enum?.map((e) => JSON.stringify(e.value))
    : undefined;
  if (values) return values.join(" | ");
  if (p.$ref) return p.$ref.split(":").pop() ?? "";
  if (p.type === "array" && p.items) {
    const item = tsTypeOf(p.items);
    return item.includes(" | ") ? `(${item})[]` : `${item}[]`;
  }
  if (p.type === "integer") return "number";
  return p.type ?? "";
}

function typesOf(props: Record<string, SchemaProperty>): Record<string, string> {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, tsTypeOf(v)]));
}

const required = (props: Record<string, TsProperty>) =>
  Object.keys(props)
    .filter((k) => !props[k]?.optional)
    .sort();

describe("schema.json", () => {
  const resource = schema.resources[STREAM_DOWNLOAD];
  const inputs = interfaceProperties(TYPES_FILE, "StreamDownloadInputs");
  const outputs = interfaceProperties(TYPES_FILE, "StreamDownloadOutputs");
  const args = interfaceProperties(ARGS_FILE, "StreamDownloadArgs");

  it("declares the package cloudflare-stream with the one resource the plugin serves", () => {
    assert.equal(schema.name, "cloudflare-stream");
    assert.deepEqual(Object.keys(schema.resources), [STREAM_DOWNLOAD]);
  });

  it("has the inputs of the dynamic resource's args, with the same types, required ones and defaults", () => {
    assert.ok(resource);
    assert.deepEqual(Object.keys(resource.inputProperties).sort(), Object.keys(args).sort());
    assert.deepEqual(Object.keys(inputs).sort(), Object.keys(args).sort());
    assert.deepEqual(
      typesOf(resource.inputProperties),
      Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.type])),
    );
    assert.deepEqual([...resource.requiredInputs].sort(), required(args));
    for (const [name, prop] of Object.entries(resource.inputProperties)) {
      const documented = args[name]?.default;
      if (prop.default !== undefined)
        assert.deepEqual(prop.default, JSON.parse(documented ?? "null"), `default of ${name}`);
      else if (documented !== undefined) {
        // Schema defaults hold only scalars; a list default is stated in the description.
        assert.ok(
          prop.description?.includes(`Default: ${documented}`),
          `${name}'s description states its default ${documented}`,
        );
      }
    }
    assert.equal(resource.inputProperties.readyTimeoutSeconds?.default, DEFAULT_READY_TIMEOUT_SECONDS);
    assert.deepEqual(JSON.parse(args.downloadTypes?.default ?? "null"), DEFAULT_DOWNLOAD_TYPES);
  });

  it("has the outputs of StreamDownloadOutputs, with the same types and required ones", () => {
    assert.ok(resource);
    assert.deepEqual(
      typesOf(resource.properties),
      Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.type])),
    );
    assert.deepEqual([...(resource.required ?? [])].sort(), required(outputs));
  });

  it("describes a download like DownloadInfo, and lists exactly the download types of the core", () => {
    const info = schema.types["cloudflare-stream:index:DownloadInfo"];
    const tsInfo = interfaceProperties(TYPES_FILE, "DownloadInfo");
    assert.ok(info);
    assert.deepEqual(typesOf(info.properties), Object.fromEntries(Object.entries(tsInfo).map(([k, v]) => [k, v.type])));
    assert.deepEqual([...(info.required ?? [])].sort(), required(tsInfo));
    for (const status of DOWNLOAD_STATUSES)
      assert.match(info.properties.status?.description ?? "", new RegExp(`"${status}"`));
  });

  it("has one enum value and one output per row of the download-type table, in its order, with its description", () => {
    assert.ok(resource);
    const values = schema.types["cloudflare-stream:index:DownloadType"]?.enum ?? [];
    assert.deepEqual(
      values.map((e) => [e.value, e.description]),
      DOWNLOAD_TYPES.map((type) => [type, DOWNLOAD_TYPE_TABLE[type].description]),
    );
    for (const type of DOWNLOAD_TYPES) {
      assert.equal(resource?.properties[type]?.$ref, "#/types/cloudflare-stream:index:DownloadInfo", type);
      assert.ok(outputs[type]?.optional, `${type} is an optional output`);
    }
  });

  it("has the plugin's config keys as config variables and provider inputs, credentials secret, each with its env var", () => {
    assert.deepEqual(schema.provider.inputProperties, schema.config.variables);
    assert.deepEqual(Object.keys(schema.config.variables), [...CONFIG_NAMES]);
    for (const name of CONFIG_NAMES) {
      const variable = schema.config.variables[name];
      assert.equal(variable?.secret ?? false, SECRET_CONFIG.has(name), `secret flag of ${name}`);
      assert.deepEqual(variable?.defaultInfo?.environment, [ENV_VARS[name]], `env var of ${name}`);
    }
  });
});
