// The shared name checks: each pattern's edges and length limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isDns1123Label,
  isDns1123LabelOfAnyLength,
  isDns1123Subdomain,
  isLabelValue,
  isLooseDns1123Name,
  isPortName,
  isQualifiedName,
} from '../../src/core/names.js';

describe('name checks', () => {
  it('a DNS-1123 label: lower-case letters, digits and inner dashes, at most 63 characters', () => {
    for (const s of ['a', '0', 'web-1', 'a'.repeat(63)]) assert.equal(isDns1123Label(s), true, s);
    for (const s of ['', '-a', 'a-', 'A', 'a.b', 'a_b', 'a'.repeat(64)]) assert.equal(isDns1123Label(s), false, s);
    assert.equal(isDns1123LabelOfAnyLength('a'.repeat(64)), true);
    assert.equal(isDns1123LabelOfAnyLength('a.b'), false);
  });

  it('a DNS-1123 subdomain: labels joined by dots, at most 253 characters', () => {
    for (const s of ['a', 'a.b', 'example.com', `${'a'.repeat(63)}.${'b'.repeat(63)}`]) {
      assert.equal(isDns1123Subdomain(s), true, s);
    }
    for (const s of ['', '.a', 'a.', 'a..b', 'a.-b', 'A.b']) assert.equal(isDns1123Subdomain(s), false, s);
    const long = Array.from({ length: 64 }, () => 'abc').join('.');
    assert.equal(long.length, 255);
    assert.equal(isDns1123Subdomain(long), false);
  });

  it('the loose name (node names): like a subdomain, but any length and any run of dots and dashes inside', () => {
    for (const s of ['node1', 'a.b', 'a..b', 'a.-b', 'a'.repeat(300)]) assert.equal(isLooseDns1123Name(s), true, s);
    for (const s of ['', '.a', 'a-', 'bad_name', 'My-Node']) assert.equal(isLooseDns1123Name(s), false, s);
  });

  it('a port name: a DNS-1123 label of at most 15 characters', () => {
    for (const s of ['http', '8080', 'a'.repeat(15)]) assert.equal(isPortName(s), true, s);
    for (const s of ['', 'HTTP', 'a'.repeat(16), '-http']) assert.equal(isPortName(s), false, s);
  });

  it('a label key: an optional subdomain prefix, then at most 63 of letters, digits, -, _ and .', () => {
    for (const s of ['app', 'App_1.x', 'example.com/app', 'a'.repeat(63)]) assert.equal(isQualifiedName(s), true, s);
    for (const s of ['', '/app', 'Example.com/app', 'example.com/', '_app', 'a'.repeat(64)]) {
      assert.equal(isQualifiedName(s), false, s);
    }
  });

  it('a label value: empty, or at most 63 of letters, digits, -, _ and . starting and ending alphanumeric', () => {
    for (const s of ['', 'v1', 'Web_1.x', 'a'.repeat(63)]) assert.equal(isLabelValue(s), true, s);
    for (const s of ['-v', 'v.', 'a b', 'a'.repeat(64)]) assert.equal(isLabelValue(s), false, s);
  });
});
