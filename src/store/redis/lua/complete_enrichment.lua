-- Fills in an event awaiting enrichment, and the type its queued deliveries show (an event's
-- deliveries sit in its lane of each destination, scored by its sequence number).
-- ARGV: prefix, event id, type, envelope. Returns 1 when filled in, 0 when it was already,
-- -1 when there is no such event.
local id, etype, envelope = ARGV[2], ARGV[3], ARGV[4]
local key = k('ev', id)
local f = redis.call('HMGET', key, 'type', 'seq', 'channel_id', 'conversation_id')
if not f[1] then
  return -1
end
if f[1] ~= 'enrichment.pending' then
  return 0
end
redis.call('HSET', key, 'type', etype, 'envelope', envelope)
local lane = lane_of(f[3] or '', f[4] or '')
for _, d in ipairs(redis.call('ZRANGE', k('dsts'), 0, -1)) do
  for _, dl in ipairs(redis.call('ZRANGEBYSCORE', k('lq', d .. '|' .. lane), f[2], f[2])) do
    redis.call('HSET', k('dl', dl), 'event_type', etype)
  end
end
return 1
