-- The earliest time a lane of an enabled destination is due. ARGV: prefix.
local offset = 0
while offset < 10000 do
  local batch = redis.call('ZRANGE', k('lanes'), offset, offset + 255, 'WITHSCORES')
  if #batch == 0 then
    return false
  end
  for i = 1, #batch, 2 do
    if redis.call('HGET', k('dst', dest_of(batch[i])), 'enabled') == '1' then
      return tonumber(batch[i + 1])
    end
  end
  offset = offset + 256
end
return false
