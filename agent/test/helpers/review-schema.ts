import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The review JSON contract the project promises (shipped in the package and the .deb). */
export const SCHEMA_PATH = fileURLToPath(
  new URL('../../contracts/review-output.schema.json', import.meta.url),
);

// ajv and ajv-formats are CommonJS: under NodeNext the default import is the module object.
type AjvCtor = typeof Ajv2020Module.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as AjvCtor;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule.default }).default ??
  addFormatsModule) as typeof addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv as unknown as Parameters<typeof addFormats>[0]);

export const SCHEMA = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as {
  properties: {
    migrations: { items: { properties: { verdict: { enum: string[] } } } };
    files: { items: { properties: { kind: { enum: string[] } } } };
  };
};

/** Validates `switchover review --json` output against the contract; `.errors` says why not. */
export const validateOutput = ajv.compile(SCHEMA);
