-- Deletes a destination: its queued deliveries become dead, its lanes and links go.
-- ARGV: prefix, destination, now.
local dest, now = ARGV[2], ARGV[3]
if redis.call('EXISTS', k('dst', dest)) == 0 then
  return redis.error_reply('NOTFOUND no such destination')
end
redis.call('DEL', k('dst', dest))
redis.call('ZREM', k('dsts'), dest)
for _, lk in ipairs(redis.call('SMEMBERS', k('dlanes', dest))) do
  for _, id in ipairs(redis.call('ZRANGE', k('lq', lk), 0, -1)) do
    local key = k('dl', id)
    redis.call('HSET', key, 'status', 'dead', 'queued', '0', 'last_error', 'destination_deleted',
      'updated_ms', now)
    redis.call('HDEL', key, 'next_attempt_ms')
    redis.call('SREM', k('dls', 'queued'), id)
    redis.call('SADD', k('dls', 'dead'), id)
  end
  redis.call('DEL', k('lq', lk))
  redis.call('HDEL', k('lease'), lk)
end
redis.call('DEL', k('dlanes', dest), k('ldue', dest))
for _, kind in ipairs(redis.call('SMEMBERS', k('linkkinds', dest))) do
  redis.call('DEL', k('link', dest, kind), k('linkv', dest, kind))
end
redis.call('DEL', k('linkkinds', dest))
return 'ok'
