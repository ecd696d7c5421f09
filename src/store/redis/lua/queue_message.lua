-- Queues a reply, or returns the message already queued under the same idempotency key in
-- the conversation. ARGV: prefix, id, conversation, channel, idempotency key, content, now,
-- request id ('' for none), origin destination ('' for the API).
-- Returns {1, id} when queued, {0, existing id} otherwise.
local id, conv, ch, idem, content, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if idem ~= '' then
  local existing = redis.call('GET', k('msgidem', conv, idem))
  if existing then
    return {0, existing}
  end
end
local seq = redis.call('INCR', k('msgseq'))
local key = k('msg', id)
redis.call('HSET', key, 'seq', seq, 'id', id, 'conversation_id', conv, 'channel_id', ch,
  'content', content, 'status', 'queued', 'attempts', 0, 'steps', '[]', 'next_attempt_ms', now,
  'created_ms', now, 'updated_ms', now)
if ARGV[8] ~= '' then
  redis.call('HSET', key, 'request_id', ARGV[8])
end
if ARGV[9] ~= '' then
  redis.call('HSET', key, 'origin_destination', ARGV[9])
end
if idem ~= '' then
  redis.call('HSET', key, 'idempotency_key', idem)
  redis.call('SET', k('msgidem', conv, idem), id)
end
redis.call('ZADD', k('msgs', 'cv', conv), seq, id)
redis.call('ZADD', k('msgopen', conv), seq, id)
redis.call('ZADD', k('msgdue'), now, id)
return {1, id}
