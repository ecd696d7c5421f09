-- Leases up to `limit` due lanes of enabled destinations until `lease_until`, the most overdue
-- first, each with a new fencing token: a worker whose lease was taken over can no longer record
-- or settle. A destination's lanes are taken only within its room (its share less what it has
-- busy), read from its own index, so the lanes of a destination without room never hide
-- another's; the rest stay due.
-- ARGV: prefix, now, limit, lease until, share per destination, then destination, busy, ...
-- Returns lane, token, lane, token, ...
local now, limit, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local share = tonumber(ARGV[5])
local busy = {}
for i = 6, #ARGV - 1, 2 do
  busy[ARGV[i]] = tonumber(ARGV[i + 1])
end
local due = {}
for _, d in ipairs(redis.call('ZRANGE', k('dsts'), 0, -1)) do
  local room = math.min(share - (busy[d] or 0), limit)
  if room > 0 and redis.call('HGET', k('dst', d), 'enabled') == '1' then
    local batch = redis.call('ZRANGEBYSCORE', k('ldue', d), '-inf', now, 'WITHSCORES', 'LIMIT', 0, room)
    for i = 1, #batch, 2 do
      due[#due + 1] = { batch[i], tonumber(batch[i + 1]) }
    end
  end
end
table.sort(due, function(a, b)
  if a[2] ~= b[2] then
    return a[2] < b[2]
  end
  return a[1] < b[1]
end)
local out = {}
for i = 1, math.min(limit, #due) do
  local lk = due[i][1]
  local token = redis.call('INCR', k('fence'))
  lane_due(lk, lease, 'XX')
  redis.call('HSET', k('lease'), lk, token)
  out[#out + 1] = lk
  out[#out + 1] = tostring(token)
end
return out
