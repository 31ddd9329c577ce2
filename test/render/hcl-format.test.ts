import { describe, expect, it } from 'vitest';
import { formatHcl } from '../../src/render/hcl-format.js';

describe('formatHcl (terraform fmt rules)', () => {
  it('indents by nesting and aligns = in runs of single-line attributes', () => {
    const src = 'resource "aws_ebs_volume" "etcd" {\navailability_zone = var.zone\nsize = 20\ntags = merge(var.tags, {"Name" = "x"})\nlifecycle {\nprevent_destroy = true\n}\n}';
    expect(formatHcl(src)).toBe(
      'resource "aws_ebs_volume" "etcd" {\n  availability_zone = var.zone\n  size              = 20\n  tags              = merge(var.tags, { "Name" = "x" })\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n',
    );
  });

  it('a multi-line value breaks the alignment run', () => {
    const src = 'module "m" {\nsource = "./m"\nids = [\nmodule.a.id,\n]\nlonger_name = 1\nx = 2\n}';
    expect(formatHcl(src)).toBe('module "m" {\n  source = "./m"\n  ids = [\n    module.a.id,\n  ]\n  longer_name = 1\n  x           = 2\n}\n');
  });

  it('spaces: none around dots, before commas, inside parens and brackets, or before an index', () => {
    expect(formatHcl('x = lookup( module.network.subnet_ids , "a" )')).toBe('x = lookup(module.network.subnet_ids, "a")\n');
    expect(formatHcl('x = a.b["c"]')).toBe('x = a.b["c"]\n');
    expect(formatHcl('x = [ 1 , 2 ]')).toBe('x = [1, 2]\n');
    expect(formatHcl('x = {}')).toBe('x = {}\n');
    expect(formatHcl('x = !a && b == "c"')).toBe('x = !a && b == "c"\n');
  });

  it('keeps strings verbatim, with templates and escapes', () => {
    expect(formatHcl('arn = "arn:${data.p.partition}:ec2:*" \nnote = "$${x} %%{ y }"')).toBe('arn  = "arn:${data.p.partition}:ec2:*"\nnote = "$${x} %%{ y }"\n');
  });

  it('comments and blank lines stay; trailing blank lines go', () => {
    expect(formatHcl('# head\n\nlocals {\n# inner\nx = 1\n}\n\n\n')).toBe('# head\n\nlocals {\n  # inner\n  x = 1\n}\n');
  });

  it('refuses what it cannot lex instead of guessing', () => {
    expect(() => formatHcl('x = <<EOT\n')).toThrow(/cannot format HCL/);
  });
});

describe('conventionalOrder: arguments as the style guide orders them, not alphabetically', () => {
  it('meta-arguments first, tags last among the arguments, then blocks, then depends_on and lifecycle; dynamic blocks iterate by their name', async () => {
    const { conventionalOrder } = await import('../../src/render/module-files.js');
    const out = conventionalOrder(
      [
        'resource "aws_x" "y" {',
        '  depends_on = [',
        '    aws_z.a,',
        '  ]',
        '  for_each = var.m',
        '  lifecycle {',
        '    prevent_destroy = true',
        '  }',
        '  name = "n"',
        '  tags = var.tags',
        '  dynamic "tag" {',
        '    for_each = var.t',
        '    iterator = each',
        '    content {',
        '      key = each.key',
        '    }',
        '  }',
        '  vpc_id = "v"',
        '}',
      ].join('\n'),
    );
    expect(out.split('\n').map((l) => l.trim().split(/[ =]/)[0])).toEqual(['resource', 'for_each', 'name', 'vpc_id', 'tags', '', 'dynamic', 'for_each', 'content', 'key', '}', '}', 'depends_on', 'aws_z.a,', ']', 'lifecycle', 'prevent_destroy', '}', '}']);
    expect(out).toContain('key = tag.key');
  });
});
