// The YAML 1.2 core schema exactly as the `yaml` library resolves plain scalars, for js-yaml.
// js-yaml parses a manifest about ten times faster than `yaml` (which keeps a node tree for line
// numbers), but its own core schema differs on a few spellings (0b101, -0x1, +.5). With these
// resolvers both libraries give the same values, so which one read a file never changes a pod.
import jsyaml from 'js-yaml';

const plain = (tag: string, test: RegExp, construct: (text: string) => unknown) =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && test.test(data),
    construct: (data: string) => construct(data),
  });

const NULL = plain('null', /^(?:~|[Nn]ull|NULL)?$/, () => null);
const BOOL = plain('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T');
const INT = plain('int', /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/, (s) =>
  s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10),
);
const FLOAT = plain(
  'float',
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/,
  (s) => {
    if (/nan$/i.test(s)) return NaN;
    if (/inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    return parseFloat(s);
  },
);

/** Strings, sequences and mappings, plus the core schema's null, bool, int and float. */
export const YAML_CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [NULL, BOOL, INT, FLOAT] });
