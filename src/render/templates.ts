import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../paths.js';

/** The templates haform renders, named as in templates/index.json. */
export type TemplateName = 'readme' | 'master' | 'node' | 'bastion' | 'monitor';
export type Templates = Record<TemplateName, Handlebars.TemplateDelegate>;

interface TemplateIndex {
  readonly options: CompileOptions;
  readonly partials: Record<string, string>;
  readonly templates: Record<TemplateName, string>;
}

let compiled: Templates | undefined;

/**
 * Compiles templates/ when running from source (tests). The build replaces this module with the same
 * templates precompiled (scripts/build.mjs), so the CLI loads only Handlebars' small runtime.
 */
export function templates(): Templates {
  if (compiled) return compiled;
  const read = (file: string) => readFileSync(join(packageRoot(), 'templates', file), 'utf8');
  const index = JSON.parse(read('index.json')) as TemplateIndex;
  const hb = Handlebars.create();
  for (const [name, file] of Object.entries(index.partials)) hb.registerPartial(name, hb.compile(read(file), index.options));
  const entries = Object.entries(index.templates).map(([name, file]) => [name, hb.compile(read(file), index.options)]);
  return (compiled = Object.fromEntries(entries) as Templates);
}
