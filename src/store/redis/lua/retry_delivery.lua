-- Queues a finished delivery again, with a fresh schedule, at its place in event order.
-- ARGV: prefix, delivery, now.
local id, now = ARGV[2], tonumber(ARGV[3])
local key = k('dl', id)
local f = redis.call('HMGET', key, 'destination_id', 'lane', 'queued', 'event_seq')
if not f[1] then
  return redis.error_reply('NOTFOUND no such delivery')
end
if f[3] == '1' then
  return redis.error_reply('QUEUED the delivery is still queued; it is retried on its schedule')
end
redis.call('HSET', key, 'status', 'pending', 'queued', '1', 'attempts', 0,
  'next_attempt_ms', now, 'updated_ms', now)
redis.call('HDEL', key, 'delivered_ms')
redis.call('SADD', k('dls', 'queued'), id)
redis.call('SREM', k('dls', 'dead'), id)
local lk = f[1] .. '|' .. f[2]
redis.call('ZADD', k('lq', lk), tonumber(f[4]), id)
redis.call('SADD', k('dlanes', f[1]), lk)
if redis.call('HEXISTS', k('lease'), lk) == 1 then
  -- A worker holds the lane: it finds the delivery in order.
  lane_due(lk, now, 'NX')
else
  lane_due(lk, now, 'LT')
end
return 'ok'
