import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';

/**
 * What can be checked of ops/terraform without Terraform or its providers (this machine cannot download
 * them): every .tf file goes through HashiCorp's own HCL parser (@cdktf/hcl2json, the Go parser compiled to
 * wasm), then the parsed modules are checked against each other — sources, variables, inputs, outputs,
 * references and templates. Provider schemas (resource and argument names), types and a plan are not:
 * see ops/terraform/README.md › What the check does not cover.
 */

type HclJson = Record<string, unknown>;
type Parse = (filename: string, contents: string) => Promise<HclJson>;

// CommonJS, loaded from next to its wasm; required rather than imported so that a missing package fails here, loudly.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as { parse: Parse };

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const META_ARGUMENTS = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);
const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_-]*';
// A reference never follows a letter, a dot, a hyphen or a slash: that is text such as "user-data.sh".
const NOT_AFTER = '(?<![\\w./-])';

/** One Terraform module: a folder's .tf files, parsed and merged. */
interface TfModule {
  dir: string;
  variables: Map<string, HclJson>;
  outputs: Map<string, HclJson>;
  modules: Map<string, HclJson>;
  resources: Set<string>; // "type.name"
  data: Set<string>; // "type.name"
  locals: Set<string>;
  /** Every expression ("${…}") with where it was found, for reference checks. */
  expressions: { where: string; text: string }[];
}

/** hcl2json gives each block as an array of bodies (a block may repeat); attributes as values, expressions as "${…}" strings. */
function bodies(value: unknown): HclJson[] {
  return Array.isArray(value) ? (value as HclJson[]) : [];
}

function named(section: unknown): [string, HclJson][] {
  return Object.entries((section ?? {}) as Record<string, unknown>).flatMap(([name, value]) =>
    bodies(value).map((body): [string, HclJson] => [name, body]),
  );
}

function collectExpressions(value: unknown, where: string, into: { where: string; text: string }[]): void {
  if (typeof value === 'string') {
    if (value.includes('${')) into.push({ where, text: value });
  } else if (Array.isArray(value)) {
    value.forEach((item) => collectExpressions(item, where, into));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) collectExpressions(item, `${where}.${key}`, into);
  }
}

function buildModule(dir: string, files: HclJson[]): TfModule {
  const module: TfModule = {
    dir,
    variables: new Map(),
    outputs: new Map(),
    modules: new Map(),
    resources: new Set(),
    data: new Set(),
    locals: new Set(),
    expressions: [],
  };
  for (const file of files) {
    for (const [name, body] of named(file.variable)) module.variables.set(name, body);
    for (const [name, body] of named(file.output)) module.outputs.set(name, body);
    for (const [name, body] of named(file.module)) module.modules.set(name, body);
    for (const [kind, target] of [
      ['resource', module.resources],
      ['data', module.data],
    ] as const) {
      for (const [type, byName] of Object.entries((file[kind] ?? {}) as Record<string, unknown>)) {
        for (const name of Object.keys(byName as HclJson)) target.add(`${type}.${name}`);
      }
    }
    for (const body of bodies(file.locals)) for (const name of Object.keys(body)) module.locals.add(name);
    for (const [key, section] of Object.entries(file)) collectExpressions(section, key, module.expressions);
  }
  return module;
}

function matches(text: string, pattern: RegExp): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}

/** Everything a parser can find wrong in a set of modules (keyed by folder), as readable lines. */
function problemsIn(modules: Map<string, TfModule>, templateOf: (dir: string, file: string) => string | undefined): string[] {
  const problems: string[] = [];
  const targetOf = (module: TfModule, call: HclJson): TfModule | undefined =>
    typeof call.source === 'string' ? modules.get(path.join(module.dir, call.source)) : undefined;

  for (const module of modules.values()) {
    const at = (what: string) => `${path.relative(ROOT, module.dir) || '.'}: ${what}`;

    for (const [name, body] of module.variables) {
      if (typeof body.description !== 'string' || body.description.trim() === '') problems.push(at(`variable ${name} has no description`));
      if (body.type === undefined) problems.push(at(`variable ${name} has no type`));
    }

    for (const [name, call] of module.modules) {
      const target = targetOf(module, call);
      if (typeof call.source !== 'string' || !call.source.startsWith('./')) {
        problems.push(at(`module ${name}: source ${String(call.source)} is not a local folder`));
        continue;
      }
      if (!target) {
        problems.push(at(`module ${name}: source ${call.source} is not a folder with .tf files`));
        continue;
      }
      const inputs = Object.keys(call).filter((key) => !META_ARGUMENTS.has(key));
      for (const input of inputs) {
        if (!target.variables.has(input)) problems.push(at(`module ${name} passes ${input}, which ${call.source} does not declare`));
      }
      for (const [variable, body] of target.variables) {
        if (!('default' in body) && !inputs.includes(variable)) problems.push(at(`module ${name} omits required variable ${variable}`));
      }
    }

    for (const { where, text } of module.expressions) {
      const unknown = (what: string) => problems.push(at(`${where} refers to ${what}, which is not declared`));
      for (const [, name] of matches(text, new RegExp(`${NOT_AFTER}var\\.(${IDENTIFIER})`, 'g'))) {
        if (!module.variables.has(name!)) unknown(`var.${name}`);
      }
      for (const [, name] of matches(text, new RegExp(`${NOT_AFTER}local\\.(${IDENTIFIER})`, 'g'))) {
        if (!module.locals.has(name!)) unknown(`local.${name}`);
      }
      for (const [, type, name] of matches(text, new RegExp(`${NOT_AFTER}data\\.(${IDENTIFIER})\\.(${IDENTIFIER})`, 'g'))) {
        if (!module.data.has(`${type}.${name}`)) unknown(`data.${type}.${name}`);
      }
      for (const [, type, name] of matches(text, new RegExp(`${NOT_AFTER}((?:aws|random)_[a-z0-9_]+)\\.(${IDENTIFIER})`, 'g'))) {
        if (!module.resources.has(`${type}.${name}`)) unknown(`${type}.${name}`);
      }
      for (const [, name, output] of matches(
        text,
        new RegExp(`${NOT_AFTER}module\\.(${IDENTIFIER})(?:\\[[^\\]]*\\])?(?:\\.(${IDENTIFIER}))?`, 'g'),
      )) {
        const call = module.modules.get(name!);
        if (!call) unknown(`module.${name}`);
        else if (output !== undefined && !targetOf(module, call)?.outputs.has(output)) unknown(`output ${output} of module.${name}`);
      }
      for (const call of matches(text, /templatefile\(\s*"\$\{path\.module\}\/([^"]+)"\s*,\s*\{/g)) {
        const template = templateOf(module.dir, call[1]!);
        if (template === undefined) {
          problems.push(at(`${where}: template ${call[1]} does not exist`));
          continue;
        }
        const passed = new Set(matches(objectText(text, call.index + call[0].length - 1), /^\s*([A-Za-z_]\w*)\s*=/gm).map((m) => m[1]!));
        for (const name of templateIdentifiers(template)) {
          if (!passed.has(name)) problems.push(at(`template ${call[1]} uses ${name}, which ${where} does not pass`));
        }
      }
    }

    for (const [name, body] of module.outputs) {
      if (typeof body.description !== 'string' || body.description.trim() === '') problems.push(at(`output ${name} has no description`));
      if (!('value' in body)) problems.push(at(`output ${name} has no value`));
    }
  }
  return problems;
}

/** The text of the object literal whose "{" is at `start`, without its braces. */
function objectText(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start + 1, i);
  }
  return text.slice(start + 1);
}

const TEMPLATE_KEYWORDS = new Set(['if', 'else', 'endif', 'for', 'endfor', 'in', 'true', 'false', 'null']);

/** Names a template reads from its variables: identifiers in ${…} and %{…}, less functions, attributes and loop variables. */
function templateIdentifiers(template: string): Set<string> {
  const loopVariables = new Set(
    matches(template, /%\{~?\s*for\s+(\w+)(?:\s*,\s*(\w+))?\s+in/g).flatMap((m) => m.slice(1).filter((name) => name !== undefined)),
  );
  const names = new Set<string>();
  for (const [, inside] of matches(template, /(?<!\$)[$%]\{([^}]*)\}/g)) {
    const code = inside!.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const [, name] of matches(code, /(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()/g)) {
      if (!TEMPLATE_KEYWORDS.has(name!) && !loopVariables.has(name!)) names.add(name!);
    }
  }
  return names;
}

function filesUnder(dir: string, extension: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    return entry.isFile() && entry.name.endsWith(extension) ? [file] : [];
  });
}

async function parseModules(files: Map<string, string>): Promise<{ modules: Map<string, TfModule>; errors: string[] }> {
  const parsed = new Map<string, HclJson[]>();
  const errors: string[] = [];
  for (const [file, contents] of files) {
    try {
      const json = await parse(path.basename(file), contents);
      parsed.set(path.dirname(file), [...(parsed.get(path.dirname(file)) ?? []), json]);
    } catch (error) {
      errors.push(`${path.relative(ROOT, file)}: ${(error as Error).message}`);
    }
  }
  const modules = new Map([...parsed].map(([dir, jsons]) => [dir, buildModule(dir, jsons)]));
  return { modules, errors };
}

describe('ops/terraform', () => {
  const files = new Map(filesUnder(ROOT, '.tf').map((file) => [file, fs.readFileSync(file, 'utf8')]));
  let modules: Map<string, TfModule>;
  let parseErrors: string[];

  beforeAll(async () => {
    ({ modules, errors: parseErrors } = await parseModules(files));
  });

  it('parses every .tf file with the HCL parser', () => {
    expect(files.size).toBeGreaterThan(20);
    expect(parseErrors).toEqual([]);
  });

  it('parses the `terraform test` files (HCL too, though not modules)', async () => {
    const tests = filesUnder(ROOT, '.tftest.hcl');
    expect(tests.length).toBeGreaterThan(0);
    for (const file of tests) {
      const parsed = await parse(path.basename(file), fs.readFileSync(file, 'utf8'));
      expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['mock_provider', 'run']));
    }
  });

  it('has the root module and one folder per reusable module', () => {
    expect([...modules.keys()].map((dir) => path.relative(ROOT, dir)).sort()).toEqual([
      '',
      'modules/app',
      'modules/global_accelerator',
      'modules/load_balancer',
      'modules/network',
      'modules/object_storage',
      'modules/peering',
      'modules/postgres',
      'modules/redis',
      'modules/secrets',
    ]);
    for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) expect(files.has(path.join(ROOT, file))).toBe(true);
  });

  it('finds no undeclared variable, input, output, reference or template variable anywhere', () => {
    const problems = problemsIn(modules, (dir, file) =>
      fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), 'utf8') : undefined,
    );
    expect(problems).toEqual([]);
    // The template check above only runs where it recognises the call: make sure it did.
    const postgres = modules.get(path.join(ROOT, 'modules/postgres'))!;
    expect(postgres.expressions.some(({ text }) => /templatefile\(\s*"\$\{path\.module\}\/user-data\.sh\.tftpl"\s*,\s*\{/.test(text))).toBe(
      true,
    );
  });

  it('instantiates every per-region module once for each of the three regions', () => {
    const root = modules.get(ROOT)!;
    const calls = [...root.modules].map(([name, call]) => [name, call.source] as const);
    for (const source of ['./modules/network', './modules/load_balancer', './modules/app', './modules/object_storage']) {
      expect(calls.filter(([, s]) => s === source)).toHaveLength(3);
    }
    expect(calls.filter(([name]) => name.startsWith('postgres_'))).toHaveLength(3);
    expect(calls.filter(([name]) => name.startsWith('peering_'))).toHaveLength(3);
  });

  it('gives the servers every setting a multi-region deployment needs, secrets only from Secrets Manager', () => {
    const mainTf = files.get(path.join(ROOT, 'main.tf'))!;
    for (const name of [
      'NODE_ENV',
      'APP_URL',
      'COLLAB_PUBLIC_URL',
      'TRUST_PROXY_HOPS',
      'S3_BUCKET',
      'S3_REGION',
      'DATABASE_PRIMARY_CHECK_MS',
    ]) {
      expect(mainTf).toMatch(new RegExp(`^\\s+${name}\\s+=`, 'm'));
    }
    for (const name of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
      expect(mainTf).toMatch(new RegExp(`^\\s+${name}\\s+=\\s+(module|local)\\.`, 'm'));
    }
    // The multi-host form the product resolves itself (README › Failover).
    expect(files.get(path.join(ROOT, 'modules/secrets/main.tf'))).toContain('?target_session_attrs=read-write"');
  });

  it('reports what a broken module gets wrong', async () => {
    const broken = new Map([
      [
        path.join(ROOT, 'fixture/main.tf'),
        'module "child" {\n  source = "./child"\n  nmae = "typo"\n}\noutput "x" {\n  value = module.child.missing\n}\n',
      ],
      [path.join(ROOT, 'fixture/child/variables.tf'), 'variable "name" {\n  type = string\n}\n'],
      [path.join(ROOT, 'fixture/child/main.tf'), 'resource "aws_s3_bucket" "b" {\n  bucket = "${var.nmae}-${local.gone}"\n}\n'],
    ]);
    const { modules: fixture, errors } = await parseModules(broken);
    expect(errors).toEqual([]);
    expect(problemsIn(fixture, () => undefined).sort()).toEqual(
      [
        'fixture/child: variable name has no description',
        'fixture/child: resource.aws_s3_bucket.b.bucket refers to var.nmae, which is not declared',
        'fixture/child: resource.aws_s3_bucket.b.bucket refers to local.gone, which is not declared',
        'fixture: module child passes nmae, which ./child does not declare',
        'fixture: module child omits required variable name',
        'fixture: output.x.value refers to output missing of module.child, which is not declared',
        'fixture: output x has no description',
      ].sort(),
    );

    const { errors: syntax } = await parseModules(new Map([[path.join(ROOT, 'fixture/bad.tf'), 'resource "aws_s3_bucket" {\n']]));
    expect(syntax).toHaveLength(1);
  });
});
