import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import schema from '../schemas/cluster.schema.json' with { type: 'json' };
import { DEFAULTS } from '../src/spec/defaults.js';
import { renderReference } from '../src/spec/reference.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const readme = () => readFileSync(readmeUrl, 'utf8');
const REF = /(<!-- reference:start -->\n)([\s\S]*?)(<!-- reference:end -->)/;

describe('README', () => {
  it('its YAML reference is the one rendered from the schema', () => {
    const rendered = renderReference(schema as never);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(readmeUrl, readme().replace(REF, `$1${rendered}$3`));
    expect(REF.exec(readme())?.[2]).toBe(rendered);
  });

  it('.ci/run runs exactly its commands, in order', () => {
    const block = /<!-- commands:start -->\n```sh\n([\s\S]*?)```/.exec(readme())?.[1] ?? '';
    const commands = block.split('\n').filter(Boolean);
    expect(commands[0]).toBe('npm ci');
    expect(commands.at(-1)).toBe('npm test');
    const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => /^(npm|npx) /.test(l));
    expect(ci).toEqual(commands);
  });

  it('lists every rule id the validator can report', () => {
    const rules = readFileSync(new URL('../src/spec/rules.ts', import.meta.url), 'utf8');
    const ids = [...new Set([...rules.matchAll(/'(?:error|warning)', '([a-z0-9-]+)'/g)].map((m) => m[1]!))];
    expect(ids.length).toBeGreaterThan(20);
    expect(ids.filter((id) => !readme().includes(`\`${id}\``))).toEqual([]);
  });

  it('schema defaults agree with the code', () => {
    const p = schema.properties.spec.properties;
    expect(p.nodeCount.default).toBe(DEFAULTS.nodeCount);
    expect(p.topology.default).toBe(DEFAULTS.topology);
    expect(p.networking.default).toBe(DEFAULTS.networking);
    expect(p.networkCIDR.default).toBe(DEFAULTS.networkCIDR);
    expect(p.masterSize.default).toBe(DEFAULTS.masterSize);
    expect(p.nodeSize.default).toBe(DEFAULTS.nodeSize);
    expect(p.kubernetesVersion.default).toBe(DEFAULTS.kubernetesVersion);
    expect(p.image.default).toBe(DEFAULTS.image);
    expect(p.etcd.properties.volumeSize.default).toBe(DEFAULTS.etcdVolumeSize);
    expect(p.etcd.properties.volumeType.default).toBe(DEFAULTS.etcdVolumeType);
    expect(p.api.properties.allowedCIDRs.default).toEqual(DEFAULTS.apiAllowedCIDRs);
  });

  it('every schema field has a description and an example', () => {
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (!v.description || !v.examples) missing.push(`${path}${k}`);
        walk(v, `${path}${k}.`);
        if (v.items) walk(v.items as Record<string, unknown>, `${path}${k}[].`);
      }
    };
    walk(schema as never, '');
    expect(missing).toEqual([]);
  });
});
