-- Records where a relayed message stands; a finished one stores its outcome event.
-- ARGV: prefix, id, kind (step|retry|delivered|failed), now, a, b, c, then for finished ones:
-- event id, event type, event conversation, envelope.
local id, kind, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local a, b, c = ARGV[5], ARGV[6], ARGV[7]
local key = k('msg', id)
local f = redis.call('HMGET', key, 'channel_id', 'conversation_id')
if not f[1] then
  return redis.error_reply('NOTFOUND no such message')
end
local ch, conv = f[1], f[2]
redis.call('ZREM', k('msgsending'), id)
if kind == 'step' then
  redis.call('HSET', key, 'status', 'queued', 'steps', a, 'next_attempt_ms', now, 'updated_ms', now)
  redis.call('ZADD', k('msgdue'), now, id)
  return 'ok'
end
if kind == 'retry' then
  redis.call('HINCRBY', key, 'attempts', 1)
  redis.call('HSET', key, 'status', 'queued', 'next_attempt_ms', a, 'error_code', b,
    'error_message', c, 'updated_ms', now)
  redis.call('ZADD', k('msgdue'), tonumber(a), id)
  return 'ok'
end
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('ZREM', k('msgdue'), id)
redis.call('ZREM', k('msgopen', conv), id)
if kind == 'delivered' then
  redis.call('HSET', key, 'status', 'delivered', 'updated_ms', now, 'finished_ms', now)
  redis.call('HDEL', key, 'error_code', 'error_message')
else
  redis.call('HSET', key, 'status', 'failed', 'error_code', b, 'error_message', c,
    'updated_ms', now, 'finished_ms', now)
end
local event_id, etype, econv, envelope = ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local seq = insert_event(ch, event_id, etype, econv, '', '0', now, envelope, '', '0', 0)
if seq then
  fan_out(seq, event_id, etype, ch, conv, now)
end
return 'ok'
