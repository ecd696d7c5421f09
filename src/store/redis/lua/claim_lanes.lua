-- Leases up to `limit` due lanes of enabled destinations until `lease_until`, each with a new
-- fencing token: a worker whose lease was taken over can no longer record or settle. A
-- destination's lanes are taken only within its room (its share less what it has busy); the
-- rest stay due.
-- ARGV: prefix, now, limit, lease until, share per destination, then destination, busy, ...
-- Returns lane, token, lane, token, ...
local now, limit, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local share = tonumber(ARGV[5])
local taken = {}
for i = 6, #ARGV - 1, 2 do
  taken[ARGV[i]] = tonumber(ARGV[i + 1])
end
local out = {}
local claimed, offset, scanned = 0, 0, 0
while claimed < limit and scanned < 10000 do
  local batch = redis.call('ZRANGEBYSCORE', k('lanes'), '-inf', now, 'LIMIT', offset, 256)
  if #batch == 0 then
    break
  end
  for _, lk in ipairs(batch) do
    if claimed >= limit then
      break
    end
    scanned = scanned + 1
    local dest = dest_of(lk)
    local n = taken[dest] or 0
    if n < share and redis.call('HGET', k('dst', dest), 'enabled') == '1' then
      local token = redis.call('INCR', k('fence'))
      redis.call('ZADD', k('lanes'), 'XX', lease, lk)
      redis.call('HSET', k('lease'), lk, token)
      out[#out + 1] = lk
      out[#out + 1] = tostring(token)
      claimed = claimed + 1
      taken[dest] = n + 1
    else
      offset = offset + 1
    end
  end
end
return out
