-- Puts back messages left `sending` longer than a lease (their replica is gone), then marks up
-- to `limit` due messages as sending: only the oldest open message of each conversation.
-- ARGV: prefix, now, limit, stale before. Returns the ids.
local now, limit, stale_before = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('msgsending'), '-inf', stale_before)) do
  local key = k('msg', id)
  redis.call('HSET', key, 'status', 'queued')
  redis.call('ZREM', k('msgsending'), id)
  redis.call('ZADD', k('msgdue'), tonumber(redis.call('HGET', key, 'next_attempt_ms') or '0'), id)
end
local out = {}
local offset = 0
while #out < limit do
  local batch = redis.call('ZRANGEBYSCORE', k('msgdue'), '-inf', now, 'LIMIT', offset, 256)
  if #batch == 0 then
    break
  end
  for _, id in ipairs(batch) do
    if #out >= limit then
      break
    end
    local key = k('msg', id)
    local conv = redis.call('HGET', key, 'conversation_id')
    local head = {}
    if conv then
      head = redis.call('ZRANGE', k('msgopen', conv), 0, 0)
    end
    if head[1] == id then
      redis.call('HSET', key, 'status', 'sending', 'updated_ms', now)
      redis.call('ZREM', k('msgdue'), id)
      redis.call('ZADD', k('msgsending'), now, id)
      out[#out + 1] = id
    else
      offset = offset + 1
    end
  end
end
return out
