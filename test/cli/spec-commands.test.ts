import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClusterFile, loadClusterText } from '../../src/spec/index.js';
import { haform, ROOT } from './run.js';

const SEED = {
  public: ['--node-count', '3', '--zones', 'us-west-2a,us-west-2b,us-west-2c', '--master-zones', 'us-west-2a,us-west-2b,us-west-2c', 'hacluster.example.com'],
  private: ['--node-count', '3', '--zones', 'us-west-2a,us-west-2b,us-west-2c', '--master-zones', 'us-west-2a,us-west-2b,us-west-2c', '--topology', 'private', '--networking', 'calico', 'private.example.com'],
  'same-az': ['--node-count', '3', '--master-count', '3', '--zones', 'cn-north-1a,cn-north-1b', '--master-zones', 'cn-north-1a,cn-north-1b', 'hacluster.k8s.local'],
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'haform-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('create cluster: the seed commands with haform for kops', () => {
  it.each(Object.entries(SEED))('%s writes the bundled example, which validate accepts', (name, args) => {
    const file = join(tmp, `${name}.yaml`);
    const r = haform(['create', 'cluster', ...args, '--file', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written.split('\n')[0]).toBe('# yaml-language-server: $schema=https://haform.io/schemas/cluster.schema.json');
    expect(written).toBe(readFileSync(new URL(`../../fixtures/examples/${name}.yaml`, import.meta.url), 'utf8'));
    const v = haform(['validate', file]);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(v.stdout).toContain('valid');
  });

  it('prints to stdout without --file', () => {
    const r = haform(['create', 'cluster', ...SEED.public]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('name: hacluster.example.com');
  });

  it("example 2 with kubenet fails with the seed's rule, naming the flag", () => {
    const args = SEED.private.map((a) => (a === 'calico' ? 'kubenet' : a));
    const file = join(tmp, 'kubenet.yaml');
    const r = haform(['create', 'cluster', ...args, '--file', file]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error[private-kubenet] (--networking)');
    expect(() => readFileSync(file)).toThrow();
  });

  it("accepts kops's newer --control-plane-* names and --name", () => {
    const r = haform(['create', 'cluster', '--name', 'cp.example.com', '--zones', 'eu-west-1a,eu-west-1b,eu-west-1c', '--control-plane-count', '3', '--control-plane-size', 'm6i.large']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('masterCount: 3');
    expect(r.stdout).toContain('masterSize: m6i.large');
    expect(r.stdout).toMatch(/masterZones:\n\s+- eu-west-1a\n\s+- eu-west-1b\n\s+- eu-west-1c/);
  });

  it("a kops command line as typed: --cloud aws, --state and --yes are taken, the YAML is the same, and each says what haform does instead", () => {
    const plain = haform(['create', 'cluster', ...SEED.public]);
    const kops = haform(['create', 'cluster', '--cloud', 'aws', '--state', 's3://my-kops-state', ...SEED.public, '--yes']);
    expect(kops.exitCode, kops.stderr).toBe(0);
    expect(kops.stdout).toBe(plain.stdout);
    expect(kops.stderr).toContain("note: --state s3://my-kops-state: kops's state store; haform keeps none");
    expect(kops.stderr).toContain('note: --yes: haform creates nothing itself; run terraform apply');
    expect(haform(['create', 'cluster', ...SEED.public, '-y']).stderr).toContain('note: --yes');
    // Another cloud is a usage error that names the one haform builds on.
    const gce = haform(['create', 'cluster', '--cloud', 'gce', ...SEED.public]);
    expect(gce.exitCode).toBe(2);
    expect(gce.stderr).toMatch(/cloud[\s\S]*Given: "gce"[\s\S]*Choices: "aws"/);
  });

  it('says what the default networking installs: kubenet is flannel with VXLAN, in --help and in the schema', () => {
    // yargs wraps the help to the terminal's width.
    expect(haform(['create', 'cluster', '--help']).stdout.replace(/\s+/g, ' ')).toMatch(/kubenet \(flannel with VXLAN, the default\)/);
    const schema = JSON.parse(haform(['schema']).stdout) as { properties: { spec: { properties: { networking: { description: string } } } } };
    expect(schema.properties.spec.properties.networking.description).toMatch(/kubenet, the default, installs flannel with VXLAN/);
  });

  it('refuses to overwrite an existing file unless --force', () => {
    const file = join(tmp, 'exists.yaml');
    writeFileSync(file, 'mine\n');
    const r = haform(['create', 'cluster', ...SEED.public, '--file', file]);
    // As --help and the README say: a refused write exits 1.
    expect(r.exitCode).toBe(1);
    expect(haform(['create', 'cluster', '--help']).stdout.replace(/\s+/g, ' ')).toContain('1 the flags make an invalid cluster, or --file exists (refused without --force)');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('1 invalid input or a refused write (an existing `--file`');
    expect(r.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(haform(['create', 'cluster', ...SEED.public, '--file', file, '--force']).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('hacluster.example.com');
  });

  it('an even master count is refused with the quorum explanation', () => {
    const r = haform(['create', 'cluster', '--zones', 'us-west-2a,us-west-2b', '--master-count', '2', 'x.example.com']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error\[etcd-even-members\] \(--master-count\): 2 masters make 2 etcd members: quorum is 2/);
  });

  it("kops's flags for an existing network (--vpc, --subnets, --utility-subnets, --dns none, --networking cni, security groups, cloud labels) give the existing-subnets fixture", () => {
    const ids = (prefix: string) => [1, 2, 3].map((i) => `${prefix}${i}`).join(',');
    const r = haform(['create', 'cluster', 'shared.example.com', '--zones', 'us-east-1a,us-east-1b,us-east-1c', '--master-count', '3', '--topology', 'private', '--networking', 'cni',
      '--vpc', 'vpc-0a1b2c3d4e5f60718', '--subnets', ids('subnet-0a00000000000000'), '--utility-subnets', ids('subnet-0b00000000000000'), '--admin-access', '10.0.0.0/8', '--dns', 'none',
      '--master-security-groups', 'sg-0a1b2c3d4e5f60718', '--node-security-groups', 'sg-0a1b2c3d4e5f60718', '--cloud-labels', 'team=platform']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { source: _a, ...fromFlags } = loadClusterText('flags.yaml', r.stdout).spec!;
    const { source: _b, ...fixture } = loadClusterFile('fixtures/valid/existing-subnets.yaml').spec!;
    expect(fromFlags).toEqual(fixture);
  });

  it('--network-cidr with several ranges: the first is the VPC\'s, the others are secondary blocks', () => {
    const r = haform(['create', 'cluster', 'multi.k8s.local', '--zones', 'us-east-1a', '--network-cidr', '10.10.0.0/16,10.11.0.0/16']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(loadClusterText('x.yaml', r.stdout).spec).toMatchObject({ networkCIDR: '10.10.0.0/16', additionalCIDRs: ['10.11.0.0/16'] });
  });

  it('existing-network flags that cannot make a cluster are refused before any YAML is written', () => {
    const subnets = haform(['create', 'cluster', 'x.k8s.local', '--zones', 'us-east-1a,us-east-1b', '--vpc', 'vpc-0a1b2c3d4e5f60718', '--subnets', 'subnet-0a000000000000001']);
    expect(subnets.exitCode).toBe(2);
    expect(subnets.stderr).toContain('--subnets lists 1 subnet(s) for 2 zone(s)');
    const vpcOnly = haform(['create', 'cluster', 'x.k8s.local', '--zones', 'us-east-1a', '--vpc', 'vpc-0a1b2c3d4e5f60718']);
    expect(vpcOnly.exitCode).toBe(1);
    expect(vpcOnly.stderr).toContain('error[network-cidr-required] (--vpc)');
    const labels = haform(['create', 'cluster', 'x.k8s.local', '--zones', 'us-east-1a', '--cloud-labels', 'team']);
    expect(labels.exitCode).toBe(2);
    expect(labels.stderr).toContain('--cloud-labels takes key=value pairs');
  });

  it('a missing name is a usage error', () => {
    const r = haform(['create', 'cluster', '--zones', 'us-west-2a']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('needs the cluster name');
  });
});

describe('validate', () => {
  const fixture = (f: string) => `fixtures/invalid/${f}`;

  it('reports FILE:LINE:COL: error[rule]: message. hint: fix, and exits 1', () => {
    const r = haform(['validate', fixture('private-kubenet.yaml')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^fixtures\/invalid\/private-kubenet\.yaml:9:15: error\[private-kubenet\]: .+\. hint: .+$/m);
  });

  it('warnings alone exit 0', () => {
    const r = haform(['validate', 'fixtures/examples/same-az.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('warning[az-loss-breaks-quorum]');
  });

  it('checks several files and fails when any is invalid', () => {
    const r = haform(['validate', 'fixtures/examples/public.yaml', fixture('zone-duplicate.yaml')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('fixtures/examples/public.yaml: valid');
    expect(r.stdout).toContain('zone-duplicate.yaml: invalid');
  });

  it('--format json is machine readable', () => {
    const r = haform(['validate', '--format', 'json', fixture('several-errors.yaml')]);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.files[0].problems.map((p: { rule: string }) => p.rule)).toEqual(expect.arrayContaining(['etcd-even-members', 'private-kubenet', 'access-cidr-invalid']));
  });

  describe('hostile input: a clear error, never a stack trace', () => {
    const cases: [string, () => string, number, RegExp][] = [
      ['missing file', () => join(tmp, 'nope.yaml'), 2, /no such file/],
      ['directory', () => { const d = join(tmp, 'dir.yaml'); mkdirSync(d, { recursive: true }); return d; }, 2, /is a directory/],
      ['empty file', () => write('empty.yaml', ''), 1, /error\[yaml-empty\]/],
      ['binary junk', () => write('junk.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff, 0xfe])), 1, /error\[file-not-text\]/],
      ['a 10 MB file', () => write('big.yaml', 'a: b\n'.repeat(2_000_000)), 1, /error\[file-too-large\]/],
      ['an alias bomb', () => write('bomb.yaml', bomb()), 1, /error\[yaml-aliases\]/],
      ['a list instead of a mapping', () => write('list.yaml', '- a\n- b\n'), 1, /error\[schema-type\]/],
      ['duplicate keys', () => write('dup.yaml', 'kind: Cluster\nkind: Cluster\n'), 1, /dup\.yaml:2:1: error\[yaml-duplicate-key\]/],
    ];
    it.each(cases)('%s', (_name, make, code, pattern) => {
      const r = haform(['validate', make()]);
      expect(r.exitCode).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});

describe('explain', () => {
  it('seed example 3: losing cn-north-1a loses quorum', () => {
    const r = haform(['explain', 'fixtures/examples/same-az.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/cn-north-1a\s+2\s+a, a2\s+1 of 3 members remain, quorum 2: LOST/);
    expect(r.stdout).toMatch(/cn-north-1b\s+1\s+b\s+2 of 3 members remain, quorum 2: kept/);
    expect(r.stdout).toContain('Survives the loss of any one AZ: no');
    // Two zones are the cheaper choice the HA guide compares with: no cost note here.
    expect(r.stdout).not.toContain('cross-AZ traffic');
  });

  it('seed example 1: any one AZ can be lost', () => {
    const r = haform(['explain', 'fixtures/examples/public.yaml']);
    expect(r.stdout).toContain('quorum is 2 of 3');
    expect(r.stdout.match(/: kept/g)).toHaveLength(3);
    expect(r.stdout).toContain('Survives the loss of any one AZ: yes');
    // Three zones cost more than one or two: said here, and only where it is so.
    expect(r.stdout).toContain('Note: spanning 3 zones (masters in 3) costs more than one or two');
  });

  it('an invalid file explains nothing and exits 1', () => {
    const r = haform(['explain', 'fixtures/invalid/even-masters.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error[etcd-even-members]');
  });
});

describe('schema and usage', () => {
  it('schema prints the JSON Schema', () => {
    const r = haform(['schema']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).$id).toBe('https://haform.io/schemas/cluster.schema.json');
  });

  it('an unknown command exits 2 with usage', () => {
    const r = haform(['frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('haform --help');
  });
});

function write(name: string, content: string | Buffer): string {
  const f = join(tmp, name);
  writeFileSync(f, content);
  return f;
}

function bomb(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}

describe('the fast path for validate and generate', () => {
  const work = mkdtempSync(join(tmpdir(), 'haform-fast-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const bothWays = (args: string[]) => [haform(args), haform(args, { env: { HAFORM_NO_FAST_PATH: '1' } })];

  it.each([
    [['fixtures/examples/public.yaml']],
    [['fixtures/examples/same-az.yaml', 'fixtures/invalid/several-errors.yaml']],
    [['--format', 'json', 'fixtures/invalid/unknown-field.yaml']],
    [['fixtures/invalid/even-masters.yaml', '--format=json']],
    [['fixtures/nope.yaml']],
  ])('validate %j answers exactly as through the full parser', (args) => {
    const [fast, full] = bothWays(['validate', ...args]);
    expect(fast).toEqual(full);
  });

  it.each([
    [['--out', 'OUT']],
    [['-o', 'OUT', '--check']],
    [['--out=OUT', '--dry-run', '--force']],
    [['--allow-destroy', '--out', 'OUT']],
  ])('generate %j writes and answers exactly as through the full parser', (opts) => {
    const [fast, full] = ['fast', 'full'].map((way) => {
      const dir = join(mkdtempSync(join(work, `${way}-`)), 'tf');
      const r = haform(['generate', 'fixtures/examples/private.yaml', ...opts.map((o) => o.replace('OUT', dir))], { env: way === 'full' ? { HAFORM_NO_FAST_PATH: '1' } : {} });
      const written = existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
      return { exitCode: r.exitCode, stdout: r.stdout.split(dir).join('OUT'), stderr: r.stderr.split(dir).join('OUT'), written };
    });
    expect(fast).toEqual(full);
  });

  it('each command loads only its bundle, and V8 takes the bundle\'s code cache', () => {
    const debug = { env: { HAFORM_DEBUG: '1' } };
    const loaded = (r: { stderr: string }) => [...r.stderr.matchAll(/^haform: dist\/(\w+)\.cjs loaded in \d+ ms, code cache (\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(loaded(haform(['validate', 'fixtures/examples/public.yaml'], debug))).toEqual(['validate accepted']);
    expect(loaded(haform(['explain', 'fixtures/examples/public.yaml'], debug))).toEqual(['program accepted']);
    expect(loaded(haform(['generate', 'fixtures/examples/public.yaml', '--out', join(work, 'debug'), '--dry-run'], debug))).toEqual(['engine accepted']);
    expect(loaded(haform(['diff', 'fixtures/day2/one-master.yaml', 'fixtures/day2/three-masters.yaml'], debug))).toEqual(['program accepted', 'engine accepted']);
  });

  it('cdktn and the provider classes are in the engine bundle only', () => {
    // jsii.rtti marks every cdktn and provider class; TerraformStack is cdktn's core.
    const cdk = (bundle: string) => /jsii\.rtti|TerraformStack/.test(readFileSync(join(ROOT, 'dist', bundle), 'utf8'));
    expect(['cli.js', 'validate.cjs', 'program.cjs'].filter(cdk)).toEqual([]);
    expect(cdk('engine.cjs')).toBe(true);
  });

  it('takes only the exact forms; anything else goes to the parser', async () => {
    const { fastArgs } = await import('../../src/commands/fast-args.js');
    expect(fastArgs(['validate', 'a.yaml', '--format', 'json'])).toEqual({ command: 'validate', files: ['a.yaml'], format: 'json' });
    expect(fastArgs(['validate', 'a.yaml', 'b.yaml'])).toEqual({ command: 'validate', files: ['a.yaml', 'b.yaml'], format: 'text' });
    expect(fastArgs(['generate', 'a.yaml', '-o', 'x', '--check'])).toEqual({ command: 'generate', file: 'a.yaml', out: 'x', check: true, force: false, allowDestroy: false, dryRun: false });
    for (const argv of [
      ['validate', '--help'],
      ['validate', 'a.yaml', '--format', 'xml'],
      ['validate'],
      ['explain', 'a.yaml'],
      ['generate', 'a.yaml'],
      ['generate', 'a.yaml', 'b.yaml', '--out', 'x'],
      ['generate', 'a.yaml', '--out', 'x', '--out', 'y'],
      ['generate', 'a.yaml', '--out', '--check'],
      ['generate', 'a.yaml', '--out', 'x', '--no-check'],
      ['generate', 'a.yaml', '--out', 'x', '--check', '--check'],
      ['generate', 'a.yaml', '--out', 'x', '--dryRun'],
      ['generate', 'a.yaml', '-o=x'],
    ]) {
      expect(fastArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
