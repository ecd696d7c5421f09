-- The earliest time a lane of an enabled destination is due. ARGV: prefix.
local earliest = false
for _, d in ipairs(redis.call('ZRANGE', k('dsts'), 0, -1)) do
  if redis.call('HGET', k('dst', d), 'enabled') == '1' then
    local first = redis.call('ZRANGE', k('ldue', d), 0, 0, 'WITHSCORES')
    if #first == 2 then
      local at = tonumber(first[2])
      if not earliest or at < earliest then
        earliest = at
      end
    end
  end
end
return earliest
