-- Records a helpdesk link; an existing one is kept unless replace. Returns 1 when written.
-- ARGV: prefix, destination, kind, key, value, replace.
local dest, kind, key, value, replace = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local h, hv = k('link', dest, kind), k('linkv', dest, kind)
redis.call('SADD', k('linkkinds', dest), kind)
if replace == '1' then
  local old = redis.call('HGET', h, key)
  if old and old ~= value and redis.call('HGET', hv, old) == key then
    redis.call('HDEL', hv, old)
  end
  redis.call('HSET', h, key, value)
  redis.call('HSETNX', hv, value, key)
  return 1
end
if redis.call('HSETNX', h, key, value) == 0 then
  return 0
end
redis.call('HSETNX', hv, value, key)
return 1
