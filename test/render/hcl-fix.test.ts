import { describe, expect, it } from 'vitest';
import { fixHcl, hclLiteral, topLevelBlocks, unwrapInterpolations } from '../../src/render/hcl-fix.js';

describe('fixHcl: the known cdktn defects', () => {
  it.each([
    ['a reference', 'x = "${aws_vpc.main.id}"', 'x = aws_vpc.main.id'],
    ['a number from a variable', 'size = "${var.size}"', 'size = var.size'],
    ['a function call holding strings', 'tags = "${merge(var.tags, {"Name" = "x"})}"', 'tags = merge(var.tags, {"Name" = "x"})'],
    ['an index with a string key', 'id = "${module.network.subnet_ids["us-west-2a"]}"', 'id = module.network.subnet_ids["us-west-2a"]'],
    ['list items', 'ids = [\n"${aws_subnet.a.id}",\n"${aws_subnet.b.id}"\n]', 'ids = [\naws_subnet.a.id,\naws_subnet.b.id\n]'],
    ['nested interpolation-only strings', 'x = "${jsonencode({"a" = "${var.b}"})}"', 'x = jsonencode({"a" = var.b})'],
  ])('unwraps %s', (_what, input, expected) => {
    expect(fixHcl(input)).toBe(expected);
  });

  it.each([
    ['text around the interpolation', 'arn = "arn:${data.aws_partition.current.partition}:ec2:*"'],
    ['two interpolations', 'x = "${var.a}${var.b}"'],
    ['an object key', 'value = {\n"${aws_subnet.a.id}" = "us-west-2a"\n}'],
    ['escaped literals', 'x = "$${not_a_ref} %%{ if x }"'],
    ['a comment', '# "${var.x}"'],
  ])('leaves %s alone', (_what, input) => {
    expect(fixHcl(input)).toBe(input);
  });

  it('unquotes depends_on and ignore_changes references', () => {
    const out = fixHcl('depends_on = [\n"aws_internet_gateway.main",\n]\nlifecycle {\nignore_changes = [\n"tags",\n]\n}');
    expect(out).toBe('depends_on = [\naws_internet_gateway.main,\n]\nlifecycle {\nignore_changes = [\ntags,\n]\n}');
  });

  it('restores the required_version that cdktn mangles into `0 = "required_version"`', () => {
    const out = fixHcl('terraform {\nrequired_providers {\n}\n\n  0 = "required_version"\n}', { requiredVersion: '>= 1.5.0' });
    expect(out).toContain('required_version = ">= 1.5.0"\n');
    expect(out).not.toContain('0 =');
    expect(() => fixHcl('terraform {\n  0 = "required_version"\n}')).toThrow(/required_version/);
  });

  it('escapes ${ and %{ in user text marked literal, in plain attributes and inside function calls alike', () => {
    const note = hclLiteral('owner ${team} %{ if x }');
    expect(fixHcl(`tags = {\nnote = "${note}"\n}`)).toBe('tags = {\nnote = "owner $${team} %%{ if x }"\n}');
    expect(fixHcl(`tags = "\${merge(var.tags, {"note" = "${note}"})}"`)).toBe('tags = merge(var.tags, {"note" = "owner $${team} %%{ if x }"})');
  });

  it('unwrapInterpolations keeps strings with escaped quotes intact', () => {
    expect(unwrapInterpolations('x = "a \\"${b}\\" c"')).toBe('x = "a \\"${b}\\" c"');
  });
});

describe('topLevelBlocks', () => {
  it('splits blocks with braces inside strings and nested blocks', () => {
    const src = 'resource "aws_vpc" "main" {\ntags = {\nx = "}{"\n}\n}\nvariable "zone" {\ntype = string\n}\noutput "id" {\nvalue = "${aws_vpc.main.id}"\n}\n';
    const blocks = topLevelBlocks(src);
    expect(blocks.map((b) => [b.kind, ...b.labels])).toEqual([
      ['resource', 'aws_vpc', 'main'],
      ['variable', 'zone'],
      ['output', 'id'],
    ]);
    expect(blocks[0]!.text).toBe('resource "aws_vpc" "main" {\ntags = {\nx = "}{"\n}\n}');
  });
});
