-- Queues a new delivery to a destination for every released event received in [since, until)
-- that its filters take, in event order; with count_only '1', only counts them.
-- ARGV: prefix, destination, since, until, now, count_only.
local dest, since, until_ms, now = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local count_only = ARGV[6] == '1'
local f = redis.call('HMGET', k('dst', dest), 'enabled', 'event_types', 'channels')
if not f[1] then
  return redis.error_reply('NOTFOUND no such destination')
end
if f[1] ~= '1' then
  return redis.error_reply('DISABLED the destination is disabled; enable it first')
end
local evs = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('events', 'rcv'), since, '(' .. until_ms)) do
  local e = redis.call('HMGET', k('ev', id), 'seq', 'type', 'channel_id', 'conversation_id', 'held')
  if e[1] and e[5] ~= '1' and e[5] ~= '2' then
    evs[#evs + 1] = {tonumber(e[1]), id, e[2], e[3] or '', e[4] or ''}
  end
end
table.sort(evs, function(a, b) return a[1] < b[1] end)
local n = 0
for _, e in ipairs(evs) do
  if wants(f[2], f[3], e[3], e[4]) then
    if not count_only then
      queue_delivery(dest, e[1], e[2], e[3], e[5], lane_of(e[4], e[5]), now)
    end
    n = n + 1
  end
end
return n
