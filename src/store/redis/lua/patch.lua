-- Writes the fields a patch names into a record's hash, which must still exist (refused with
-- NOTFOUND otherwise): a patch never revives a deleted record, and never writes back a field
-- it did not name (such as a destination's `enabled`, which the forwarder may have just
-- cleared after a 410).
-- ARGV: prefix, key family, id, n, then n field/value pairs to set, then fields to remove.
local key = k(ARGV[2], ARGV[3])
if redis.call('EXISTS', key) == 0 then
  return redis.error_reply('NOTFOUND no such record')
end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  redis.call('HSET', key, ARGV[5 + 2 * i], ARGV[6 + 2 * i])
end
for i = 5 + 2 * n, #ARGV do
  redis.call('HDEL', key, ARGV[i])
end
return 'ok'
