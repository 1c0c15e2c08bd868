// The kubelet port's pod-access paths and query parameters, parsed as the kubelet reads them
// (pkg/kubelet/server/server.go, remotecommand.NewOptions, portforward.NewV4Options, the v1
// PodLogOptions decoding and validation).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePodAccess, parseRfc3339 } from '../../src/core/serving/kubelet-paths.js';

const parse = (path: string, method = 'GET') => parsePodAccess(method, new URL(`https://node${path}`));

describe('kubelet pod-access paths', () => {
  it('are recognised by their first segment only', () => {
    assert.equal(parse('/pods'), undefined);
    assert.equal(parse('/execute/a/b/c'), undefined);
    assert.equal(parse('/'), undefined);
  });

  it('exec and attach: with and without the uid, command parameters, streams', () => {
    assert.deepEqual(parse('/exec/ns/web-n1/main?command=sh&command=-c&command=echo%20hi&output=1&error=1'), {
      kind: 'exec',
      namespace: 'ns',
      pod: 'web-n1',
      container: 'main',
      cmd: ['sh', '-c', 'echo hi'],
      streams: { stdin: false, stdout: true, stderr: true, tty: false },
    });
    const withUid = parse('/attach/ns/web-n1/abc-123/main?input=1&tty=1&error=1', 'POST');
    assert.deepEqual(withUid, {
      kind: 'attach',
      namespace: 'ns',
      pod: 'web-n1',
      uid: 'abc-123',
      container: 'main',
      cmd: [],
      // A tty merges stderr into stdout: stderr is dropped, as the kubelet does.
      streams: { stdin: true, stdout: false, stderr: false, tty: true },
    });
  });

  it('a stream parameter is on only when it is 1; none on is 400', () => {
    const r = parse('/exec/ns/p/c?command=x&output=true');
    assert.ok(r && r.kind === 'error' && r.status === 400, JSON.stringify(r));
    assert.match((r as { message: string }).message, /at least 1 of stdin, stdout, stderr/);
  });

  it('portForward: ports from `port` parameters (comma lists too), none for SPDY, bad ones 400', () => {
    assert.deepEqual(parse('/portForward/ns/p?port=80,8080&port=9090'), {
      kind: 'portForward',
      namespace: 'ns',
      pod: 'p',
      ports: [80, 8080, 9090],
    });
    assert.deepEqual(parse('/portForward/ns/p/uid-1'), {
      kind: 'portForward',
      namespace: 'ns',
      pod: 'p',
      uid: 'uid-1',
      ports: [],
    });
    for (const bad of ['0', '65536', 'http', '']) {
      const r = parse(`/portForward/ns/p?port=${bad}`);
      assert.ok(r && r.kind === 'error' && r.status === 400, `${bad}: ${JSON.stringify(r)}`);
    }
  });

  it('run: POST only, cmd split on spaces', () => {
    assert.deepEqual(parse('/run/ns/p/c?cmd=ls%20-l%20/', 'POST'), {
      kind: 'run',
      namespace: 'ns',
      pod: 'p',
      container: 'c',
      cmd: ['ls', '-l', '/'],
    });
    assert.deepEqual(parse('/run/ns/p/c?cmd=ls'), {
      kind: 'error',
      status: 405,
      message: 'GET is not allowed on /run',
    });
  });

  it('wrong shapes are 404: too few or too many segments, empty ones', () => {
    for (const path of [
      '/exec/ns/p',
      '/exec/ns/p/u/c/x',
      '/containerLogs/ns/p/uid/c',
      '/portForward/ns',
      '/exec/ns//c',
    ]) {
      const r = parse(path);
      assert.ok(r && r.kind === 'error' && r.status === 404, `${path}: ${JSON.stringify(r)}`);
    }
  });

  it('containerLogs: the PodLogOptions parameters', () => {
    assert.deepEqual(
      parse(
        '/containerLogs/ns/p/c?follow=true&previous=1&timestamps=TRUE&tailLines=10&limitBytes=100&sinceTime=2025-01-02T03:04:05Z',
      ),
      {
        kind: 'containerLogs',
        namespace: 'ns',
        pod: 'p',
        container: 'c',
        log: {
          follow: true,
          previous: true,
          timestamps: true,
          tailLines: 10,
          limitBytes: 100,
          sinceTime: Date.UTC(2025, 0, 2, 3, 4, 5),
          stream: 'All',
        },
      },
    );
    const plain = parse('/containerLogs/ns/p/c?follow=false&previous=0&tail=5&sinceSeconds=60');
    assert.ok(plain && plain.kind === 'containerLogs');
    assert.deepEqual(plain.log, {
      follow: false,
      previous: false,
      timestamps: false,
      tailLines: 5,
      sinceSeconds: 60,
      stream: 'All',
    });
  });

  it('containerLogs: undecodable is 400, invalid is 422, as the kubelet answers', () => {
    const status = (q: string) => {
      const r = parse(`/containerLogs/ns/p/c?${q}`);
      return r && r.kind === 'error' ? r.status : 200;
    };
    assert.equal(status('tailLines=ten'), 400);
    assert.equal(status('sinceTime=yesterday'), 400);
    assert.equal(status('stream=Both'), 400);
    assert.equal(status('tailLines=-1'), 422);
    assert.equal(status('limitBytes=0'), 422);
    assert.equal(status('sinceSeconds=0'), 422);
    assert.equal(status('sinceSeconds=5&sinceTime=2025-01-02T03:04:05Z'), 422);
    assert.equal(status('tail=all&stream=Stdout'), 200);
  });

  it('RFC 3339 times, with and without fractions and offsets', () => {
    assert.equal(parseRfc3339('2025-01-02T03:04:05.123456789Z'), Date.UTC(2025, 0, 2, 3, 4, 5, 123));
    assert.equal(parseRfc3339('2025-01-02T03:04:05+01:00'), Date.UTC(2025, 0, 2, 2, 4, 5));
    assert.equal(parseRfc3339('2025-01-02'), undefined);
    assert.equal(parseRfc3339('2025-13-02T03:04:05Z'), undefined);
  });
});
