// Scenario 7's counting: an audit log's requests per user in a window, each request once, and the
// watches still open at its end; and the sum of apiserver_request_total.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countAudit, requestKind, requestTotal } from '../../bench/apiserver-load.js';

const from = new Date('2026-12-05T06:00:00Z');
const to = new Date('2026-12-05T06:03:00Z');

function event(
  id: string,
  stage: string,
  user: string,
  verb: string,
  received: string,
  opts: { resource?: string; subresource?: string; done?: string; ua?: string } = {},
) {
  return JSON.stringify({
    auditID: id,
    stage,
    requestURI: `/api/v1/${opts.resource ?? ''}`,
    verb,
    user: { username: user },
    userAgent: opts.ua ?? 'agent/1',
    ...(opts.resource ? { objectRef: { resource: opts.resource, subresource: opts.subresource } } : {}),
    requestReceivedTimestamp: received,
    stageTimestamp: opts.done ?? received,
  });
}

describe('audit log counting', () => {
  it('counts each request once, by user and kind, only those received in the window', () => {
    const a = 'system:node:node-a';
    const b = 'system:node:node-b';
    const log = [
      event('1', 'ResponseComplete', a, 'update', '2026-12-05T05:59:59Z', { resource: 'leases' }), // before
      event('2', 'ResponseComplete', a, 'update', '2026-12-05T06:00:10Z', { resource: 'leases' }),
      event('3', 'ResponseComplete', a, 'patch', '2026-12-05T06:01:00Z', { resource: 'nodes', subresource: 'status' }),
      event('4', 'ResponseComplete', b, 'update', '2026-12-05T06:00:20Z', { resource: 'leases', ua: 'kubelet/x' }),
      event('5', 'ResponseComplete', b, 'update', '2026-12-05T06:03:00Z', { resource: 'leases' }), // at the end: out
      // A watch started in the window: ResponseStarted, then complete after the window.
      event('6', 'ResponseStarted', b, 'watch', '2026-12-05T06:02:00Z', { resource: 'pods' }),
      event('6', 'ResponseComplete', b, 'watch', '2026-12-05T06:02:00Z', {
        resource: 'pods',
        done: '2026-12-05T06:04:00Z',
      }),
      // A watch from before the window, still open: not a request of the window, but open at its end.
      event('7', 'ResponseStarted', a, 'watch', '2026-12-05T05:50:00Z', { resource: 'pods' }),
      // One from before that closed in the window: neither.
      event('8', 'ResponseStarted', b, 'watch', '2026-12-05T05:50:00Z', { resource: 'nodes' }),
      event('8', 'ResponseComplete', b, 'watch', '2026-12-05T05:50:00Z', {
        resource: 'nodes',
        done: '2026-12-05T06:01:00Z',
      }),
      '',
    ].join('\n');
    const { byUser, total } = countAudit(log, from, to);
    assert.equal(total, 4);
    const ua = byUser.get(a)!;
    assert.equal(ua.total, 2);
    assert.deepEqual(
      [...ua.byKind],
      [
        ['update leases', 1],
        ['patch nodes/status', 1],
      ],
    );
    assert.equal(ua.openWatches, 1);
    const ub = byUser.get(b)!;
    assert.equal(ub.total, 2);
    assert.deepEqual(Object.fromEntries(ub.byKind), { 'update leases': 1, 'watch pods': 1 });
    assert.equal(ub.openWatches, 1);
    assert.deepEqual([...ub.userAgents].sort(), ['agent/1', 'kubelet/x']);
  });

  it('names a request without an object by its path', () => {
    assert.equal(requestKind({ verb: 'get', requestURI: '/metrics?x=1' }), 'get /metrics');
  });

  it('sums every apiserver_request_total series and nothing else', () => {
    const text = [
      '# HELP apiserver_request_total Counter of apiserver requests',
      'apiserver_request_total{code="200",resource="leases",verb="PUT"} 12',
      'apiserver_request_total{code="201",resource="pods",verb="POST"} 3',
      'apiserver_request_total_other 100',
      'apiserver_request_duration_seconds_count{verb="PUT"} 12',
    ].join('\n');
    assert.equal(requestTotal(text), 15);
  });
});
